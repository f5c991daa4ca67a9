/** Node-only entry of @org/logger. */
export const NODE_PLACEHOLDER: string = '0.0.0';
