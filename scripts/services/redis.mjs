// vitest globalSetup: Redis at REDIS_URL (default redis://127.0.0.1:6379), started if down and installed.
import { servicesSetup } from '../test-services.mjs';

export default servicesSetup(['redis']);
