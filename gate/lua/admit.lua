--[[
  admit: the dispatcher's step for one open event. Takes the next shoppers in ticket
  order, as many as the fleet-wide token bucket, the unconfirmed stock and the batch cap
  allow, and marks them in flight with a deadline. Every gate replica calls it; the bucket
  lives here and is refilled from Redis server time, so the fleet's admission rate never
  exceeds the configured rate however many replicas call it, or how often.

  KEYS[1] queue      ZSET userId -> ticket
  KEYS[2] inflight   HASH userId -> ticket
  KEYS[3] deadlines  ZSET userId -> deadline (ms, Redis time)
  KEYS[4] stats      HASH counters and sale state
  KEYS[5] limiter    HASH tokens, at (µs, Redis time)
  KEYS[6] tombstone  STRING uid of a deleted event

  ARGV[1] rate              admissions per second, fleet-wide
  ARGV[2] burst             most tokens the bucket holds (>= 1)
  ARGV[3] stock             the event's current stock
  ARGV[4] timeoutMs         processing timeout: when an admitted shopper goes back
  ARGV[5] batchMax          most shoppers admitted by one call (<= 3000: Lua unpack limit)
  ARGV[6] uid               the event's uid ('' when unknown)

  Returns {nowMs, waiting, soldOut, processing, userId1, ticket1, userId2, ticket2, ...}
    nowMs       Redis time of the admission (ms)
    waiting     queue length after this call
    soldOut     1 when every coupon is confirmed issued (nothing is admitted then)
    processing  shoppers in flight after this call
  Tickets are strings (exact up to 2^53).

  Also keeps the fleet's observed admission rate (an EWMA over >= 1 s windows) in stats,
  so every replica quotes the same ETA.
]]
-- @include "tombstoned"
-- @include "sold_out"

if tombstoned(KEYS[6], ARGV[6]) then return {0, 0, 0, 0} end

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
tokens = math.min(burst, tokens + rate * elapsed / 1000000)

local isSoldOut, issued = soldOut(KEYS[4], stock)
local waiting = redis.call('ZCARD', KEYS[1])
local processing = redis.call('HLEN', KEYS[2])
local out = {nowMs, waiting, isSoldOut and 1 or 0, processing}

if not isSoldOut and waiting > 0 and tokens >= 1 then
  -- Stock-aware: never more in flight than the stock not yet confirmed issued.
  local unconfirmed = stock - issued - processing
  local n = math.floor(math.min(tokens, unconfirmed, tonumber(ARGV[5]), waiting))
  if n > 0 then
    local popped = redis.call('ZPOPMIN', KEYS[1], n)
    local deadline = string.format('%.0f', nowMs + tonumber(ARGV[4]))
    local hashArgs, zsetArgs = {}, {}
    for i = 1, #popped, 2 do
      local userId, ticket = popped[i], popped[i + 1]
      hashArgs[#hashArgs + 1] = userId
      hashArgs[#hashArgs + 1] = ticket
      zsetArgs[#zsetArgs + 1] = deadline
      zsetArgs[#zsetArgs + 1] = userId
      out[#out + 1] = userId
      out[#out + 1] = ticket
    end
    redis.call('HSET', KEYS[2], unpack(hashArgs))
    redis.call('ZADD', KEYS[3], unpack(zsetArgs))
    redis.call('HINCRBY', KEYS[4], 'admittedTotal', n)
    tokens = tokens - n
    out[2] = waiting - n
    out[4] = processing + n
  end
end

redis.call('HSET', KEYS[5], 'tokens', tostring(tokens), 'at', string.format('%.0f', nowUs))

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
