--[[
  recordResults: the issuer's final outcomes of many requests of one event (from Kafka,
  a batch record or several), in one call. Each is recorded on its own, in order, as if
  alone: stored for the shopper, their admission cleared, the sale's counters updated.
  Idempotent per result: the same result delivered again (or an older one after a newer)
  changes nothing but cleaning up the admission it belongs to. One call per event and
  chunk instead of one per shopper, because a script call's fixed cost (EVALSHA, the
  round through Redis' event loop) dwarfs the work of one result; the caller bounds the
  chunk (RESULTS_RECORD_CHUNK) because Redis serves nobody else while a script runs.

  KEYS[1] queue      ZSET userId -> ticket
  KEYS[2] inflight   HASH userId -> ticket
  KEYS[3] deadlines  ZSET userId -> deadline
  KEYS[4] results    HASH userId -> stored result
  KEYS[5] stats      HASH counters and sale state
  KEYS[6] tombstone  STRING uid of a deleted event
  KEYS[7] retry      ZSET userId -> ticket, in flight and due to be sent again
  KEYS[8] retired    ZSET uid -> retiredAt: retired sales of this id, outcomes kept
  KEYS[9] admittedAt ZSET userId -> when admitted, while in flight

  ARGV[1] retentionSeconds    how long results stay readable
  then 7 per result, from ARGV[2]:
    userId
    ticket              of the request decided
    outcome             ISSUED | SOLD_OUT | ALREADY_ISSUED | REJECTED
    resultJson          starts with {"ticket":T,"status":"<outcome>",
    stock               the stock the issuer decided against
    remaining           stock left after the issuer's batch
    uid                 the sale the request was for ('' when unknown)

  Returns one reply per result, in order: 1 recorded, 0 duplicate or older than the
  stored result, 2 recorded for a retired sale (its holder keeps seeing it), -1 event
  deleted and the sale unknown.
]]
-- @include "tombstoned"
-- @include "result_header"
-- @include "store_result"
-- @include "sale_owner"
-- @include "former_results"

local retention = tonumber(ARGV[1])

-- Whether a sale is retired (deleted, or replaced under the same id) or its event
-- deleted: read once per sale and call, since recording changes neither.
local sales = {}
local function saleState(uid)
  local state = sales[uid]
  if state then return state end
  if uid ~= '' and (redis.call('ZSCORE', KEYS[8], uid) or staleOwner(KEYS[5], uid)) then
    state = 'retired'
  elseif tombstoned(KEYS[6], uid) then
    state = 'deleted'
  else
    state = 'live'
  end
  sales[uid] = state
  return state
end

-- The sale's counters and the expiries are written once, after the loop, from what the
-- call's results add up to: the same state as one result at a time (sums and maxima),
-- in fewer calls while Redis serves nobody else.
local outcomes, written = {}, {}
local confirmed, soldOutAt = -1, -1

local function record(userId, ticket, outcome, resultJson, stock, remaining, uid)
  local state = saleState(uid)
  -- The answer to a request of a retired sale: kept beside that sale's other outcomes,
  -- not in the live keys of whatever came after.
  if state == 'retired' then
    local key = retiredResults(KEYS[8], uid)
    if storeResult(key, userId, ticket, outcome, resultJson) == 0 then return 0 end
    written[key] = true
    return 2
  end
  if state == 'deleted' then return -1 end

  local ticketNumber = tonumber(ticket)

  -- The admission this result answers is over, whatever else happens: no deadline, no
  -- re-send (a retry's answer may come from its first delivery).
  if redis.call('HGET', KEYS[2], userId) == ticket then
    redis.call('HDEL', KEYS[2], userId)
    redis.call('ZREM', KEYS[3], userId)
    redis.call('ZREM', KEYS[7], userId)
    redis.call('ZREM', KEYS[9], userId)
  end
  -- Put back in the queue by a gate older than the retry set (during a rolling update)
  -- while the answer was on its way: it has its answer now.
  local queued = redis.call('ZSCORE', KEYS[1], userId)
  if queued and tonumber(queued) == ticketNumber then redis.call('ZREM', KEYS[1], userId) end

  if storeResult(KEYS[4], userId, ticket, outcome, resultJson) == 0 then return 0 end
  written[KEYS[4]] = true

  outcomes[outcome] = (outcomes[outcome] or 0) + 1
  -- Confirmed issued = stock - remaining at the decision; results may arrive out of order.
  if stock - remaining > confirmed then confirmed = stock - remaining end
  if (outcome == 'SOLD_OUT' or remaining == 0) and stock > soldOutAt then soldOutAt = stock end
  return 1
end

local replies = {}
for i = 2, #ARGV, 7 do
  replies[#replies + 1] = record(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3],
    tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5]), ARGV[i + 6])
end

if next(outcomes) then
  for outcome, n in pairs(outcomes) do redis.call('HINCRBY', KEYS[5], 'outcome:' .. outcome, n) end
  local s = redis.call('HMGET', KEYS[5], 'issued', 'soldOutAtStock')
  if confirmed > (tonumber(s[1]) or 0) then redis.call('HSET', KEYS[5], 'issued', confirmed) end
  if soldOutAt > (tonumber(s[2]) or -1) then
    redis.call('HSET', KEYS[5], 'soldOutAtStock', soldOutAt)
  end
end
for key in pairs(written) do redis.call('EXPIRE', key, retention) end
return replies
