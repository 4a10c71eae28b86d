--[[
  status: where one shopper stands in one event (the rank poll). Read-only.

  KEYS[1] queue      ZSET userId -> ticket
  KEYS[2] inflight   HASH userId -> ticket
  KEYS[3] results    HASH userId -> stored result
  KEYS[4] stats      HASH counters and sale state
  KEYS[5] tombstone  STRING uid of a deleted event
  KEYS[6] retired    ZSET uid -> retiredAt: retired sales of this id, outcomes kept
  KEYS[7] admittedAt ZSET userId -> when admitted (ms, Redis time), while in flight

  ARGV[1] userId
  ARGV[2] stock      the event's current stock, '' when the event is not in the config
  ARGV[3] uid        the sale: the event's CouponEvent uid ('' when unknown)

  Returns one of:
    {'CLOSED'}                               the event was deleted (the shopper had no
                                             outcome in it)
    {'FORMER', uid, storedResult}            the shopper's outcome in a retired sale of
                                             this id: deleted, or replaced by this sale
                                             while the shopper is not in it
    {'STALE', owner}                         the live keys still hold another sale: retire
                                             it, then ask again
    {'INFLIGHT', ticket}                     admitted, waiting for the issuer (also while
                                             its request is due to be sent again)
    {'QUEUED', rank, ticket, rate, rateAt}   waiting (rank 1-based; the fleet's observed
                                             admissions/s and when it was measured, ms)
    {'SOLD_OUT'}                             waiting, or not in the queue, and sold out
    {'RESULT', storedResult}                 the issuer's final outcome
    {'NONE'}                                 not in this event's queue

  Order matters: a shopper who joins again after an outcome is WAITING/PROCESSING, not
  their old outcome; a waiting shopper learns SOLD_OUT the moment stock is confirmed gone.
]]
-- @include "tombstoned"
-- @include "sold_out"
-- @include "sale_owner"
-- @include "former_results"
-- @include "queued_reply"

local userId = ARGV[1]
local stock = tonumber(ARGV[2])

local function former()
  local uid, stored = formerResult(KEYS[6], userId)
  if uid then return {'FORMER', uid, stored} end
  return nil
end

if tombstoned(KEYS[5], ARGV[3]) then return former() or {'CLOSED'} end
local owner = staleOwner(KEYS[4], ARGV[3])
if owner then return {'STALE', owner} end

local inflight = redis.call('HGET', KEYS[2], userId)
if inflight then
  -- How long the issuer has had the request tells how soon to ask again.
  local since = redis.call('ZSCORE', KEYS[7], userId)
  if not since then return {'INFLIGHT', inflight, ''} end
  local time = redis.call('TIME')
  local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  return {'INFLIGHT', inflight, math.max(0, nowMs - tonumber(since))}
end

local score = redis.call('ZSCORE', KEYS[1], userId)
if score then
  if stock and soldOut(KEYS[4], stock) then return {'SOLD_OUT'} end
  return queuedReply(KEYS[1], KEYS[2], KEYS[4], userId, score)
end

local stored = redis.call('HGET', KEYS[3], userId)
if stored then return {'RESULT', stored} end

if stock and soldOut(KEYS[4], stock) then return {'SOLD_OUT'} end
return former() or {'NONE'}
