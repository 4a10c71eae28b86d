--[[
  applyCouponEvent: one of the issuer's coupon lifecycle events (CouponRedeemed,
  CouponReleased; core messages/coupon-lifecycle.ts) applied to the coupon's redemption
  state, idempotently and in order. Delivery is at least once: the same event may come
  again, and an older one republished after a newer one. Each coupon's record keeps the
  highest `sequence` applied (sequences increase along a coupon's history), and an event
  at or below it changes nothing.

  The sale's count of coupons currently redeemed (stats `redeemed`) moves with the state
  in the same call: +1 when a coupon becomes REDEEMED, -1 when a REDEEMED one becomes
  AVAILABLE again. Only for the sale that owns the live keys: a retired sale (deleted, or
  replaced under the same id) or a deleted event keeps no counters, and its holders still
  read their coupon's state.

  KEYS[1] redemptions  HASH "<serial>:<code>" -> "<sequence>|<state>|<at>|<userId>"
  KEYS[2] stats        HASH counters and sale state
  KEYS[3] tombstone    STRING uid of a deleted event
  KEYS[4] retired      ZSET uid -> retiredAt: retired sales of this id

  ARGV[1] field             "<serial>:<code>": which coupon
  ARGV[2] userId            its holder
  ARGV[3] sequence          the event's place in the coupon's history (an integer)
  ARGV[4] state             REDEEMED | AVAILABLE (released: the shop gave it back)
  ARGV[5] at                when it happened (ISO 8601, the event's occurredAt)
  ARGV[6] uid               the sale the event names ('' when none)
  ARGV[7] retentionSeconds  how long the states stay after the last change

  Returns 1 applied and counted, 2 applied for a sale that does not own the live keys
  (retired, deleted, or keys without a sale: nothing counted), 0 a duplicate or older
  than the state applied.
]]
-- @include "tombstoned"
-- @include "sale_owner"

local field, userId, state, uid = ARGV[1], ARGV[2], ARGV[4], ARGV[6]
local sequence = tonumber(ARGV[3])

local previous = 'AVAILABLE'
local stored = redis.call('HGET', KEYS[1], field)
if stored then
  local storedSequence, storedState = string.match(stored, '^(%d+)|(%u+)|')
  if tonumber(storedSequence) and tonumber(storedSequence) >= sequence then return 0 end
  previous = storedState or 'AVAILABLE'
end

redis.call('HSET', KEYS[1], field, ARGV[3] .. '|' .. state .. '|' .. ARGV[5] .. '|' .. userId)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[7]))

-- The live sale's counters only: a sale with coupons has a stats hash (admission writes
-- it), so none means the keys hold no sale to count for.
if redis.call('EXISTS', KEYS[2]) == 0 then return 2 end
if uid ~= '' and (redis.call('ZSCORE', KEYS[4], uid) or staleOwner(KEYS[2], uid)) then return 2 end
if tombstoned(KEYS[3], uid) then return 2 end

if state == 'REDEEMED' and previous ~= 'REDEEMED' then
  redis.call('HINCRBY', KEYS[2], 'redeemed', 1)
elseif state ~= 'REDEEMED' and previous == 'REDEEMED' then
  redis.call('HINCRBY', KEYS[2], 'redeemed', -1)
end
return 1
