export * from '@org/adapter-kit/common';
