export * from '@org/adapter-kit/contracts';
