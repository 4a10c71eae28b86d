-- A stored result is the issuer's outcome as JSON that starts with a fixed header the
-- scripts can read without decoding it: {"issuedCount":N,"ticket":T,"status":"S",...
-- (tickets go up to 2^53; cjson would round them, string matching does not).
local function resultHeader(stored)
  local count, ticket, status =
    string.match(stored, '^{"issuedCount":(%d+),"ticket":(%d+),"status":"([%u_]+)"')
  return tonumber(count) or 0, tonumber(ticket) or -1, status or ''
end
