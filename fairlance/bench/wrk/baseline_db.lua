dofile(os.getenv("FL_BENCH_LUA_DIR") .. "/common.lua")
request = function() return wrk.format("GET", "/bench/baseline-db?id=" .. pick(data.project_ids)) end
