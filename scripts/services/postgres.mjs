// vitest globalSetup: PostgreSQL at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres, trust login),
// started if down and installed.
import { servicesSetup } from '../test-services.mjs';

export default servicesSetup(['postgres']);
