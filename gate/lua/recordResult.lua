--[[
  recordResult: the issuer's final outcome for one request (from Kafka). Stores it for
  the shopper, clears their admission, and updates the sale's counters. Idempotent: the
  same result delivered again (or an older one after a newer) changes nothing but
  cleaning up the admission it belongs to.

  KEYS[1] queue      ZSET userId -> ticket
  KEYS[2] inflight   HASH userId -> ticket
  KEYS[3] deadlines  ZSET userId -> deadline
  KEYS[4] results    HASH userId -> stored result
  KEYS[5] stats      HASH counters and sale state
  KEYS[6] tombstone  STRING uid of a deleted event
  KEYS[7] retry      ZSET userId -> ticket, in flight and due to be sent again
  KEYS[8] retired    ZSET uid -> retiredAt: retired sales of this id, outcomes kept

  ARGV[1] userId
  ARGV[2] ticket              of the request decided
  ARGV[3] outcome             ISSUED | SOLD_OUT | ALREADY_ISSUED | REJECTED
  ARGV[4] resultJson          starts with {"ticket":T,"status":"<outcome>",
  ARGV[5] stock               the stock the issuer decided against
  ARGV[6] remaining           stock left after the issuer's batch
  ARGV[7] retentionSeconds    how long results stay readable
  ARGV[8] uid                 the sale the request was for ('' when unknown)

  Returns 1 recorded, 0 duplicate or older than the stored result, 2 recorded for a
  retired sale (its holder keeps seeing it), -1 event deleted and the sale unknown.
]]
-- @include "tombstoned"
-- @include "result_header"
-- @include "store_result"
-- @include "sale_owner"
-- @include "former_results"

local userId, ticket, outcome, uid = ARGV[1], ARGV[2], ARGV[3], ARGV[8]
local retention = tonumber(ARGV[7])

-- The answer to a request of a retired sale (deleted, or replaced under the same id):
-- kept beside that sale's other outcomes, not in the live keys of whatever came after.
if uid ~= '' and (redis.call('ZSCORE', KEYS[8], uid) or staleOwner(KEYS[5], uid)) then
  local stored = storeResult(retiredResults(KEYS[8], uid), userId, ticket, outcome, ARGV[4], retention)
  if stored == 1 then return 2 end
  return 0
end
if tombstoned(KEYS[6], uid) then return -1 end

local ticketNumber = tonumber(ticket)

-- The admission this result answers is over, whatever else happens: no deadline, no
-- re-send (a retry's answer may come from its first delivery).
if redis.call('HGET', KEYS[2], userId) == ticket then
  redis.call('HDEL', KEYS[2], userId)
  redis.call('ZREM', KEYS[3], userId)
  redis.call('ZREM', KEYS[7], userId)
end
-- Put back in the queue by a gate older than the retry set (during a rolling update)
-- while the answer was on its way: it has its answer now.
local queued = redis.call('ZSCORE', KEYS[1], userId)
if queued and tonumber(queued) == ticketNumber then redis.call('ZREM', KEYS[1], userId) end

if storeResult(KEYS[4], userId, ticket, outcome, ARGV[4], retention) == 0 then return 0 end

redis.call('HINCRBY', KEYS[5], 'outcome:' .. outcome, 1)
local stock, remaining = tonumber(ARGV[5]), tonumber(ARGV[6])
-- Confirmed issued = stock - remaining at the decision; results may arrive out of order.
local s = redis.call('HMGET', KEYS[5], 'issued', 'soldOutAtStock')
if stock - remaining > (tonumber(s[1]) or 0) then
  redis.call('HSET', KEYS[5], 'issued', stock - remaining)
end
if (outcome == 'SOLD_OUT' or remaining == 0) and stock > (tonumber(s[2]) or -1) then
  redis.call('HSET', KEYS[5], 'soldOutAtStock', stock)
end
return 1
