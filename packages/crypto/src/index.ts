/** @org/crypto — AES-256-GCM envelope encryption with versioned keys, automatic rotation and encrypted file storage. */
export const VERSION_PLACEHOLDER: string = '0.0.0';
