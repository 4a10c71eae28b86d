-- Which sale (CouponEvent uid) the event's live keys belong to: enqueue records it in the
-- stats hash at the first join. A CouponEvent deleted and applied again under the same id
-- is another sale; until the old one's keys are retired (retire.lua), nothing of the new
-- one may read or change them. Data from before sales had owners has none (anyone's).
-- Returns the owner's uid, or false when the keys are the given sale's (or nobody's).
local function staleOwner(statsKey, uid)
  if uid == '' or uid == '*' then return false end
  local owner = redis.call('HGET', statsKey, 'uid')
  if owner and owner ~= uid then return owner end
  return false
end
