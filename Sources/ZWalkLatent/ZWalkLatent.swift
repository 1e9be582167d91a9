// ZWalkLatent module
