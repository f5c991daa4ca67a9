/**
 * @org/ratelimit — exact rate limiting in memory and on Redis: GCRA (default), sliding-window counter, token bucket
 * and fixed window; several policies decided in one store call; IETF RateLimit headers; IPv6-aware client keys.
 */

export type { ErrorCodeInfo, RateLimitErrorCode, RateLimitStoreErrorCode, UsageError } from './errors.js';
export { isRateLimitError, RateLimitError, RateLimitStoreError, rateLimitErrorCodes } from './errors.js';
export type { HeaderFormat, RateLimitHeadersOptions } from './headers.js';
export { DEFAULT_QUOTA_UNIT, RATE_LIMIT_HEADER_NAMES, rateLimitHeaders, windowHeaderSuffix } from './headers.js';
export type { IpKeyOptions } from './ipkey.js';
export { IP_KEY_DEFAULTS, ipKey } from './ipkey.js';
export type {
  Algorithm,
  ConsumeOptions,
  DecisionSource,
  PolicyInfo,
  PolicyOptions,
  QuotaUnit,
  RateLimitDecision,
  RateLimiter,
  RateLimiterEvents,
  RateLimiterOptions,
  RateLimitersOptions,
  StoreErrorMode,
  StoreOptions,
} from './limiter.js';
export { RATE_LIMITER_DEFAULTS, rateLimiter, rateLimiters } from './limiter.js';
export type { MemoryStore, MemoryStoreOptions, MemoryStoreStats } from './memory.js';
export { MEMORY_STORE_DEFAULTS, memoryStore } from './memory.js';
export type { RedisSend, RedisStore, RedisStoreOptions, RedisStoreStats } from './redis.js';
export { REDIS_BATCH_MAX, REDIS_STORE_DEFAULTS, redisStore } from './redis.js';
export type { RateLimitStore, StoreRunner } from './store.js';
