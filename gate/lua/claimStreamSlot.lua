--[[
  claimStreamSlot: one push stream more for a client (an address), unless it already
  holds its most across the fleet. Each open stream is a member whose score is when its
  lease runs out: the gate holding it renews the lease while the stream lives and removes
  it when the stream closes, so a gate that died stops counting once its leases expire.

  KEYS[1] slots   ZSET slot id -> lease end (ms since the epoch)

  ARGV[1] now (ms)
  ARGV[2] the new slot's id (unique to the gate process and the stream)
  ARGV[3] lease length (ms)
  ARGV[4] the most slots a client holds

  Returns 1 (the slot is held) or 0 (the client holds ARGV[4] live slots already).
]]
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
