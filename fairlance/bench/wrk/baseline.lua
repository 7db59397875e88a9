dofile(os.getenv("FL_BENCH_LUA_DIR") .. "/common.lua")
request = function() return wrk.format("GET", "/bench/baseline") end
