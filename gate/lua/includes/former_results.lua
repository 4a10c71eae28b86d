-- Outcomes of retired sales of this event id (deleted or replaced): KEYS `retired` is a
-- ZSET uid -> retiredAt, and each sale's outcomes stay in `<retired>:<uid>:results` for
-- the retention, so their holders keep seeing their coupons.
local function retiredResults(retiredKey, uid)
  return retiredKey .. ':' .. uid .. ':results'
end

-- The newest retired sale in which this shopper has an outcome: uid, stored; or nil.
local function formerResult(retiredKey, userId)
  local uids = redis.call('ZREVRANGE', retiredKey, 0, 9)
  for _, uid in ipairs(uids) do
    local stored = redis.call('HGET', retiredResults(retiredKey, uid), userId)
    if stored then return uid, stored end
  end
  return nil
end
