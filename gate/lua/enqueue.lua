--[[
  enqueue: one shopper joins one event's queue, atomically and idempotently.

  KEYS[1] queue      ZSET userId -> ticket
  KEYS[2] seq        STRING last sequence number handed out
  KEYS[3] inflight   HASH userId -> ticket (admitted, awaiting the issuer)
  KEYS[4] results    HASH userId -> stored result (see includes/result_header.lua)
  KEYS[5] stats      HASH counters and sale state
  KEYS[6] tombstone  STRING uid of a deleted event

  ARGV[1] userId
  ARGV[2] stock             the event's current stock
  ARGV[3] perUserLimit
  ARGV[4] maxQueueLength
  ARGV[5] preQueueTicket    a random 48-bit ticket during the pre-queue, '' once open
  ARGV[6] uid               the sale: the event's CouponEvent uid ('' when unknown)

  Returns one of:
    {'CLOSED'}                           the event was deleted
    {'STALE', owner}                     the live keys still hold another (retired) sale of
                                         this id: retire it (retire.lua), then join again
    {'INFLIGHT', ticket}                 already admitted, waiting for the issuer (also
                                         while its request is due to be sent again)
    {'QUEUED', rank, ticket, rate, rateAt, issued, inflight, isNew}
                                         in the queue (rank 1-based; isNew 1 = joined now),
                                         with what status.lua answers for the poll
                                         interval: the fleet's observed admissions/s and
                                         when measured (ms), coupons confirmed, in flight
    {'RESULT', storedResult}             has a final outcome and may not join again
    {'SOLD_OUT'}                         no stock left to wait for
    {'FULL', queueLength}                maxQueueLength shoppers already wait

  Tickets are returned as strings: they reach 2^48 + seq, beyond Lua's %.14g.
  A shopper whose coupon was ISSUED may join again while they hold fewer than
  perUserLimit coupons; SOLD_OUT and REJECTED outcomes may join again if the sale is
  (again) not sold out. Fair order: a ticket is never reassigned or moved.
]]
-- @include "tombstoned"
-- @include "sold_out"
-- @include "result_header"
-- @include "sale_owner"
-- @include "queued_reply"

local userId = ARGV[1]
local stock = tonumber(ARGV[2])

if tombstoned(KEYS[6], ARGV[6]) then return {'CLOSED'} end
local owner = staleOwner(KEYS[5], ARGV[6])
if owner then return {'STALE', owner} end

local inflight = redis.call('HGET', KEYS[3], userId)
if inflight then return {'INFLIGHT', inflight} end

-- status.lua's answer for a waiting shopper, and whether they joined now.
local function queued(ticket, isNew)
  local reply = queuedReply(KEYS[1], KEYS[3], KEYS[5], userId, ticket)
  reply[#reply + 1] = isNew
  return reply
end

local score = redis.call('ZSCORE', KEYS[1], userId)
if score then return queued(score, 0) end

local stored = redis.call('HGET', KEYS[4], userId)
if stored then
  local count, _, status = resultHeader(stored)
  local again = (status == 'ISSUED' and count < tonumber(ARGV[3]))
    or status == 'SOLD_OUT' or status == 'REJECTED'
  if not again then return {'RESULT', stored} end
end

if soldOut(KEYS[5], stock) then return {'SOLD_OUT'} end

local length = redis.call('ZCARD', KEYS[1])
if length >= tonumber(ARGV[4]) then return {'FULL', length} end

local ticket = ARGV[5]
if ticket == '' then
  -- After opening: first come, first served, behind everyone from the pre-queue (< 2^48).
  ticket = string.format('%.0f', 281474976710656 + redis.call('INCR', KEYS[2]))
end
redis.call('ZADD', KEYS[1], ticket, userId)
if ARGV[6] ~= '' then redis.call('HSETNX', KEYS[5], 'uid', ARGV[6]) end
return queued(ticket, 1)
