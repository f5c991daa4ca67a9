/** Node-only entry of @org/health. */
export const NODE_PLACEHOLDER: string = '0.0.0';
