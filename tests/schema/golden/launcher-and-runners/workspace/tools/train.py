# The runner this case names: build checks that it exists.
