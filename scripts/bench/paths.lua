-- wrk: sends the requests listed in the file $PATHS_FILE (one path and query
-- a line, as `bench --list N` prints them), in order, round and round; each
-- of wrk's threads starts at its own place in the list.
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do
  if line ~= "" then paths[#paths + 1] = line end
end
local threads = 0

function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end

local next_index

function init(args)
  next_index = (tonumber(offset) or 0) % #paths
end

function request()
  next_index = next_index % #paths + 1
  return wrk.format("GET", paths[next_index])
end
