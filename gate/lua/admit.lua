--[[
  admit: the dispatcher's step for one event. First sends again the shoppers of the retry
  set (admitted earlier, their request may or may not have reached the issuer), then, when
  admitNew, takes the next shoppers of the queue in ticket order, as many as the
  fleet-wide token bucket, the unconfirmed stock and the batch cap allow, and marks them
  in flight with a deadline. Every gate replica calls it; the bucket lives here and is
  refilled from Redis server time, so the fleet's sends never exceed the configured rate
  however many replicas call it, or how often.

  Shoppers of the retry set are still in flight (they count against the stock and read
  PROCESSING) and are sent again with their own ticket, so with the same requestId: the
  issuer answers a request it already decided with that decision. They go first (their
  tickets are older than any in the queue) and even when the event is sold out or no new
  admissions are wanted (paused, closed): the issuer, not the gate, decides them.

  KEYS[1] queue      ZSET userId -> ticket
  KEYS[2] inflight   HASH userId -> ticket
  KEYS[3] deadlines  ZSET userId -> deadline (ms, Redis time)
  KEYS[4] stats      HASH counters and sale state
  KEYS[5] limiter    HASH tokens, at (µs, Redis time)
  KEYS[6] tombstone  STRING uid of a deleted event
  KEYS[7] retry      ZSET userId -> ticket, in flight and due to be sent again
  KEYS[8] admittedAt ZSET userId -> when admitted (ms, Redis time), while in flight

  ARGV[1] rate              sends per second, fleet-wide
  ARGV[2] burst             most tokens the bucket holds (>= 1)
  ARGV[3] stock             the event's current stock
  ARGV[4] timeoutMs         processing timeout: when an unanswered request is sent again
  ARGV[5] batchMax          most shoppers sent by one call (<= 3000: Lua unpack limit)
  ARGV[6] uid               the sale: the event's CouponEvent uid ('' when unknown)
  ARGV[7] admitNew          1: also admit from the queue (the event is open); 0: retries only
  ARGV[8] overdueMs         backpressure: an admission without a result after this long is
                            overdue (0: no backpressure, the bucket fills at the rate)
  ARGV[9] floor             the least share of the rate backpressure keeps (0 < floor <= 1)
  ARGV[10] cut              the share of the allowed rate kept at each slowdown (0 < cut < 1)
  ARGV[11] recovery         the share of the rate the allowance regains per healthy second

  Returns {'STALE', owner} when the live keys still hold another (retired) sale of this
  id, whose shoppers must never be sent as this sale's (retire it first); else
  {nowMs, waiting, soldOut, processing, resent, oldestAgeMs, allowed, overdue, slowed,
   userId1, ticket1, ...}
    nowMs       Redis time of the admission (ms)
    waiting     shoppers in the queue after this call who can still be admitted (0 when
                sold out)
    soldOut     1 when every coupon is confirmed issued (nobody new is admitted then)
    processing  shoppers in flight after this call (the retry set included)
    resent      how many of the pairs (the first ones) are sent again from the retry set
    oldestAgeMs how long ago the oldest shopper in flight after this call was admitted
                (re-sends do not reset it); 0 when nobody is in flight
    allowed     the share of the rate backpressure allows now (a string, 0 < allowed <= 1)
    overdue     shoppers in flight admitted more than overdueMs ago
    slowed      1 when this call cut the allowance
  Tickets are strings (exact up to 2^53).

  Backpressure: the rate is a ceiling. When issuance falls behind (the issuer is slow, its
  consumer lags, results are not recorded: all of them leave admitted shoppers in flight
  longer), more than a few admissions become overdue, and the allowed share of the rate is
  cut (multiplicative decrease), at most once per overdueMs so the effect of a cut can show
  before the next; once almost nobody is older than half of overdueMs, it grows back by
  `recovery` of the rate per second (additive increase) up to the whole rate. The state
  (allowFactor, allowCutAt, allowSlowSince, allowOverdue) lives in the stats hash, so every replica
  admits under the same allowance and a new sale starts with the whole rate. Counting the
  overdue, not the single oldest, keeps one request the issuer will never answer (a dead
  letter waiting for its timeout) from holding the whole sale at the floor.

  Also keeps the fleet's observed admission rate (an EWMA over >= 1 s windows of new
  admissions, re-sends not counted) in stats, so every replica quotes the same ETA.
]]
-- @include "tombstoned"
-- @include "sold_out"
-- @include "sale_owner"

if tombstoned(KEYS[6], ARGV[6]) then return {0, 0, 0, 0, 0, 0, '1', 0, 0} end
local owner = staleOwner(KEYS[4], ARGV[6])
if owner then return {'STALE', owner} end

local time = redis.call('TIME')
local nowUs = tonumber(time[1]) * 1000000 + tonumber(time[2])
local nowMs = math.floor(nowUs / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local stock = tonumber(ARGV[3])

-- Refill the bucket for the time since the last call by any replica. A new bucket starts
-- empty, so opening (or a restart) never admits more than rate x elapsed.
local bucket = redis.call('HMGET', KEYS[5], 'tokens', 'at')
local tokens = tonumber(bucket[1])
local at = tonumber(bucket[2])
if not tokens or not at then
  tokens = 0
  at = nowUs
end
local elapsed = nowUs - at
if elapsed < 0 then elapsed = 0 end

-- Backpressure: how much of the rate issuance keeps up with, decided before the refill.
local overdueMs = tonumber(ARGV[8])
local allow, overdue, slowed = 1, 0, 0
if overdueMs > 0 then
  local state = redis.call('HMGET', KEYS[4], 'allowFactor', 'allowCutAt')
  allow = tonumber(state[1]) or 1
  local cutAt = tonumber(state[2]) or 0
  -- A few overdue are noise (a dead letter awaiting its timeout, a GC pause); 2 % of what
  -- the rate admits in overdueMs is a backlog.
  local tolerated = math.max(10, rate * overdueMs / 1000 * 0.02)
  overdue = redis.call('ZCOUNT', KEYS[8], '-inf', string.format('%.0f', nowMs - overdueMs))
  local settled = nowMs - cutAt >= overdueMs
  redis.call('HSET', KEYS[4], 'allowOverdue', overdue)
  if overdue > tolerated then
    if settled then
      allow = math.max(tonumber(ARGV[9]), allow * tonumber(ARGV[10]))
      slowed = 1
      redis.call('HSET', KEYS[4], 'allowFactor', tostring(allow), 'allowCutAt', string.format('%.0f', nowMs))
      redis.call('HSETNX', KEYS[4], 'allowSlowSince', string.format('%.0f', nowMs))
      redis.call('HINCRBY', KEYS[4], 'slowdowns', 1)
    end
  elseif allow < 1 and settled
    and redis.call('ZCOUNT', KEYS[8], '-inf', string.format('%.0f', nowMs - overdueMs / 2))
      <= tolerated then
    allow = math.min(1, allow + tonumber(ARGV[11]) * elapsed / 1000000)
    if allow >= 1 then
      redis.call('HDEL', KEYS[4], 'allowFactor', 'allowSlowSince')
    else
      redis.call('HSET', KEYS[4], 'allowFactor', tostring(allow))
    end
  end
end
local allowed = rate * allow
tokens = math.min(burst, tokens + allowed * elapsed / 1000000)

local isSoldOut, issued = soldOut(KEYS[4], stock)
local waiting = redis.call('ZCARD', KEYS[1])
local processing = redis.call('HLEN', KEYS[2])
local batchMax = tonumber(ARGV[5])
local out = {nowMs, isSoldOut and 0 or waiting, isSoldOut and 1 or 0, processing, 0, 0,
  tostring(allow), overdue, slowed}
local deadline = string.format('%.0f', nowMs + tonumber(ARGV[4]))

-- Retries first: they stay in flight, so the stock they hold is not handed to anyone else.
local retrying = redis.call('ZCARD', KEYS[7])
if retrying > 0 and tokens >= 1 then
  local popped = redis.call('ZPOPMIN', KEYS[7], math.floor(math.min(tokens, batchMax, retrying)))
  local zsetArgs = {}
  for i = 1, #popped, 2 do
    local userId, ticket = popped[i], popped[i + 1]
    -- Only while still in flight with that ticket (recordResult clears both, but be sure).
    if redis.call('HGET', KEYS[2], userId) == ticket then
      zsetArgs[#zsetArgs + 1] = deadline
      zsetArgs[#zsetArgs + 1] = userId
      out[#out + 1] = userId
      out[#out + 1] = ticket
    end
  end
  tokens = tokens - #popped / 2
  if #zsetArgs > 0 then
    redis.call('ZADD', KEYS[3], unpack(zsetArgs))
    out[5] = #zsetArgs / 2
    redis.call('HINCRBY', KEYS[4], 'resent', out[5])
  end
end

if ARGV[7] == '1' and not isSoldOut and waiting > 0 and tokens >= 1 then
  -- Stock-aware: never more in flight (retries included) than the stock not yet
  -- confirmed issued.
  local unconfirmed = stock - issued - processing
  local n = math.floor(math.min(tokens, unconfirmed, batchMax - out[5], waiting))
  if n > 0 then
    local popped = redis.call('ZPOPMIN', KEYS[1], n)
    local hashArgs, zsetArgs, sinceArgs = {}, {}, {}
    for i = 1, #popped, 2 do
      local userId, ticket = popped[i], popped[i + 1]
      hashArgs[#hashArgs + 1] = userId
      hashArgs[#hashArgs + 1] = ticket
      zsetArgs[#zsetArgs + 1] = deadline
      zsetArgs[#zsetArgs + 1] = userId
      sinceArgs[#sinceArgs + 1] = nowMs
      sinceArgs[#sinceArgs + 1] = userId
      out[#out + 1] = userId
      out[#out + 1] = ticket
    end
    redis.call('HSET', KEYS[2], unpack(hashArgs))
    redis.call('ZADD', KEYS[3], unpack(zsetArgs))
    redis.call('ZADD', KEYS[8], unpack(sinceArgs))
    redis.call('HINCRBY', KEYS[4], 'admittedTotal', n)
    tokens = tokens - n
    out[2] = waiting - n
    out[4] = processing + n
  end
end

redis.call('HSET', KEYS[5], 'tokens', tostring(tokens), 'at', string.format('%.0f', nowUs))

-- The oldest admission still in flight. recordResults removes answered shoppers; an
-- entry whose shopper is no longer in flight (answered through a gate older than this
-- key) is dropped here, a few per call.
for _ = 1, 10 do
  local oldest = redis.call('ZRANGE', KEYS[8], 0, 0, 'WITHSCORES')
  if #oldest == 0 then break end
  if redis.call('HEXISTS', KEYS[2], oldest[1]) == 1 then
    out[6] = math.max(0, nowMs - tonumber(oldest[2]))
    break
  end
  redis.call('ZREM', KEYS[8], oldest[1])
end

-- The observed admission rate, for ETAs: an EWMA of admissions/s over windows >= 1 s.
local r = redis.call('HMGET', KEYS[4], 'rateAt', 'rateBase', 'rate', 'admittedTotal')
local rateAt, rateBase, observed = tonumber(r[1]), tonumber(r[2]), tonumber(r[3])
local admitted = tonumber(r[4]) or 0
if not rateAt or nowMs - rateAt > 10000 then
  -- First measurement, or nobody dispatched for a while (paused): start a new window.
  redis.call('HSET', KEYS[4], 'rateAt', nowMs, 'rateBase', admitted)
elseif nowMs - rateAt >= 1000 then
  local instant = (admitted - (rateBase or admitted)) * 1000 / (nowMs - rateAt)
  if observed then observed = 0.5 * instant + 0.5 * observed else observed = instant end
  redis.call('HSET', KEYS[4], 'rateAt', nowMs, 'rateBase', admitted, 'rate', tostring(observed))
end

return out
