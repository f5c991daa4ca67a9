import { PARSE_STATE_LUA } from './lua.js';
import { type CompiledPolicy, FIXED, GCRA, SLIDING, TOKEN } from './policy.js';

/** Packed replies stay below this magnitude (|v * 2 + 1| < 2^52), so they are exact integers on both sides. */
const PACK_LIMIT = 2 ** 51;

/**
 * A decision script specialised for one policy: its constants are inlined and only its algorithm's branch is kept.
 * Same state encoding and the same arithmetic as policy.ts / lua.ts.
 *
 * ARGV: cost, then op (absent = consume), then now in ms (absent = the server's TIME). So a consume sends one argument.
 *
 * Reply: for a consume or peek on a key that is not blocked (the hot path), GCRA, token bucket and fixed window answer
 * with ONE integer `v * 2 + allowed`, where v is the one number the client needs to compute remaining / reset / retry
 * exactly as the script would ({@link decodePacked}): GCRA: TAT - now (µs); token bucket: tokens * windowMs; fixed
 * window: count * (windowMs + 1) + ms left in the window. Everything else (blocks, refunds, penalties, the sliding
 * window, values too large to pack) answers with the 4 integers allowed, remaining, resetMs, retryAfterMs.
 */
export function singlePolicyLua(p: CompiledPolicy): string {
  return `local cost, op, now = tonumber(ARGV[1]), tonumber(ARGV[2]) or 0, tonumber(ARGV[3])
local pad = 60000
if not now then
  pad = 0
  local t = redis.call('TIME')
  now = t[1] * 1000 + math.floor(t[2] / 1000)
end
local K = KEYS[1]
${decideBody(p)}`;
}

/**
 * The batch form of {@link singlePolicyLua}: decides every key of KEYS in order, each exactly as the single script
 * would (same body, run as a function per decision), and replies with an array holding each decision's reply (a packed
 * integer or the 4 integers).
 *
 * ARGV[1] is the stride: 2 (each decision sends cost, op; one server TIME read for the whole batch) or 3 (cost, op,
 * now in ms: the store's `clock` override). Then the decisions' arguments, in KEYS order.
 */
export function batchPolicyLua(p: CompiledPolicy): string {
  return `local S = tonumber(ARGV[1])
local T = nil
if S == 2 then
  local t = redis.call('TIME')
  T = t[1] * 1000 + math.floor(t[2] / 1000)
end
local function decide(K, cost, op, now, pad)
${decideBody(p)}end
local out = {}
for i = 1, #KEYS do
  local j = 2 + (i - 1) * S
  if S == 2 then
    out[i] = decide(KEYS[i], tonumber(ARGV[j]), tonumber(ARGV[j + 1]), T, 0)
  else
    out[i] = decide(KEYS[i], tonumber(ARGV[j]), tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2]), 60000)
  end
end
return out
`;
}

/** The decision of one key: expects locals K, cost, op, now, pad; returns the reply (see {@link singlePolicyLua}). */
function decideBody(p: CompiledPolicy): string {
  const W = p.windowMs;
  const L = p.limit;
  const cap = p.algo === GCRA || p.algo === TOKEN ? p.burst : p.limit;
  let init: string;
  let norm: string;
  let take: string;
  let adj: string;
  // `scalar` sets v (packed value, or nil when the algorithm does not pack) and reset (ms until full, ignoring blocks).
  let scalar: string;
  let remaining: string;
  switch (p.algo) {
    case GCRA: {
      const T = p.intervalUs;
      const tau = p.tauUs;
      init = 'a = now * 1000';
      norm = 'if a < now * 1000 then a = now * 1000 end';
      take = `local t = a + cost * ${T}
    if t - now * 1000 <= ${tau} then ok = true a = t else retry = ceil((t - ${tau} - now * 1000) / 1000) end`;
      adj = `if op == 2 then a = a - cost * ${T} if a < now * 1000 then a = now * 1000 end else a = a + cost * ${T} end`;
      scalar = `local v = a - now * 1000
if v > 0 then reset = ceil(v / 1000) end`;
      remaining = `floor((${tau} - v) / ${T})`;
      break;
    }
    case TOKEN: {
      const full = p.burst * W;
      init = `a = ${full} b = now`;
      norm = `if now > b then a = a + (now - b) * ${L} if a > ${full} then a = ${full} end b = now end`;
      take = `if a >= cost * ${W} then ok = true a = a - cost * ${W} else retry = ceil((cost * ${W} - a) / ${L}) end`;
      adj = `if op == 2 then a = a + cost * ${W} if a > ${full} then a = ${full} end else a = a - cost * ${W} end`;
      scalar = `local v = a
if a < ${full} then reset = ceil((${full} - a) / ${L}) end`;
      remaining = `floor(a / ${W})`;
      break;
    }
    case FIXED: {
      init = `a = now - (now % ${W})`;
      norm = `local ws = now - (now % ${W}) if a ~= ws then a = ws b = 0 end`;
      take = `if b + cost <= ${L} then ok = true b = b + cost else retry = a + ${W} - now end`;
      adj = 'if op == 2 then b = b - cost if b < 0 then b = 0 end else b = b + cost end';
      scalar = `local v = b * ${W + 1} + a + ${W} - now
if b > 0 then reset = a + ${W} - now end`;
      remaining = `${L} - b`;
      break;
    }
    default: {
      init = `a = now - (now % ${W})`;
      norm = `local ws = now - (now % ${W})
  if a ~= ws then if a == ws - ${W} then c = b else c = 0 end b = 0 a = ws end`;
      take = `local el = now - a
    if c * (${W} - el) + (b + cost) * ${W} <= ${L * W} then ok = true b = b + cost
    elseif b + cost <= ${L} then retry = ${W} - floor(((${L} - b - cost) * ${W}) / c) - el
    else retry = ${2 * W} - el - floor(((${L} - cost) * ${W}) / b) end`;
      adj = 'if op == 2 then b = b - cost if b < 0 then b = 0 end else b = b + cost end';
      scalar = `local v = nil
local el = now - a
if b > 0 then reset = ${2 * W} - el elseif c > 0 then reset = ${W} - el end`;
      remaining = `floor((${L * W} - c * (${W} - el) - b * ${W}) / ${W})`;
      break;
    }
  }
  // The state string in the shared encoding (see PARSE_STATE_LUA): this algorithm's fields, then blk when set.
  const fields = p.algo === GCRA ? 'a' : p.algo === SLIDING ? 'a, b, c' : 'a, b';
  const fmt = p.algo === GCRA ? '%d' : p.algo === SLIDING ? '%d %d %d' : '%d %d';
  const pad0 = p.algo === GCRA ? ' 0 0' : p.algo === SLIDING ? '' : ' 0';
  const enc = `blk == 0 and string.format('${fmt}', ${fields}) or string.format('${fmt}${pad0} %d', ${fields}, blk)`;
  const packed =
    p.algo === SLIDING
      ? ''
      : `if op <= 1 and blk == 0 and v < ${PACK_LIMIT} and v > -${PACK_LIMIT} then
  if ok then return v * 2 + 1 end
  return v * 2
end
`;
  return `if op == 5 then
  redis.call('DEL', K)
  return { 1, ${cap}, 0, 0 }
end
local floor, ceil = math.floor, math.ceil
local a, b, c, blk
local raw = redis.call('GET', K)
if raw then
  ${PARSE_STATE_LUA}
  ${norm}
else
  b, c, blk = 0, 0, 0
  ${init}
end
local ok, retry, write = false, 0, true
if op <= 1 then
  if blk > now then
    retry = blk - now
  else
    local a0, b0, c0 = a, b, c
    ${take}
    if op == 1 or not ok then a, b, c = a0, b0, c0 end
  end
  write = op == 0 and ok
  if op == 0 and not ok and ${p.blockMs} > 0 and blk <= now then
    blk = now + ${p.blockMs}
    if retry < ${p.blockMs} then retry = ${p.blockMs} end
    write = true
  end
else
  if op == 4 then
    if now + cost > blk then blk = now + cost end
  else
    ${adj}
  end
  ok = blk <= now
  if not ok then retry = blk - now end
end
local reset = 0
${scalar}
local ttl = reset
if blk > now and blk - now > ttl then ttl = blk - now end
if write then
  if ttl > 0 then
    redis.call('SET', K, ${enc}, 'PX', ttl + pad)
  else
    redis.call('DEL', K)
  end
end
${packed}local remaining = ${remaining}
if blk > now then
  remaining = 0
  if blk - now > reset then reset = blk - now end
end
if remaining < 0 then remaining = 0 end
return { ok and 1 or 0, remaining, reset, retry }
`;
}

/**
 * Decodes a packed single-integer reply of {@link singlePolicyLua} into out[0..3] (allowed, remaining, resetMs,
 * retryAfterMs) with the same arithmetic as the script and policy.ts (integers below 2^53: bit-for-bit equal).
 * Returns false when the policy's algorithm never packs.
 */
export function decodePacked(p: CompiledPolicy, x: number, cost: number, out: number[]): boolean {
  const allowed = x % 2 !== 0;
  const v = allowed ? (x - 1) / 2 : x / 2;
  const W = p.windowMs;
  let remaining: number;
  let reset: number;
  let retry = 0;
  switch (p.algo) {
    case GCRA:
      remaining = Math.floor((p.tauUs - v) / p.intervalUs);
      reset = v > 0 ? Math.ceil(v / 1000) : 0;
      if (!allowed) retry = Math.ceil((v + cost * p.intervalUs - p.tauUs) / 1000);
      break;
    case TOKEN: {
      const full = p.burst * W;
      remaining = Math.floor(v / W);
      reset = v < full ? Math.ceil((full - v) / p.limit) : 0;
      if (!allowed) retry = Math.ceil((cost * W - v) / p.limit);
      break;
    }
    case FIXED: {
      const left = v % (W + 1);
      const count = (v - left) / (W + 1);
      remaining = p.limit - count;
      reset = count > 0 ? left : 0;
      if (!allowed) retry = left;
      break;
    }
    default:
      return false;
  }
  out[0] = allowed ? 1 : 0;
  out[1] = Math.max(remaining, 0);
  out[2] = reset;
  out[3] = retry;
  return true;
}
