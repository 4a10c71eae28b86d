--[[
  spendPow: a verified proof-of-work solution joins once, and solved joins are counted
  to detect a join spike, atomically.

  KEYS[1] powSolutions  STRING the challenge's spent mark (<powSolutions><signature>)
  KEYS[2] powJoins      STRING solved joins in the current one-second window
  KEYS[3] powSpike      STRING present while the event's join spike lasts

  ARGV[1] ttlMs         how long the mark lives: until the challenge expires, plus skew
  ARGV[2] threshold     solved joins in one second that start a spike (0: no spike rule)
  ARGV[3] holdMs        how long a spike lasts after the last second that reached it

  Returns {spent, spiking}: spent 1 = this call spent it (join), 0 = it was spent before
  (replay: nothing else changes); spiking 1 while the spike lasts.

  The window starts with its first solved join and lasts one second (PX 1000), so every
  replica counts into the same window; a window that reaches the threshold (re)starts
  the spike's hold, and the spike ends holdMs after the last such window.
]]

if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return {0, redis.call('EXISTS', KEYS[3])}
end
local threshold = tonumber(ARGV[2])
if threshold == 0 then return {1, 0} end
local joins = redis.call('INCR', KEYS[2])
if joins == 1 then redis.call('PEXPIRE', KEYS[2], 1000) end
if joins >= threshold then
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
  return {1, 1}
end
return {1, redis.call('EXISTS', KEYS[3])}
