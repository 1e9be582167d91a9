// ZWalkImage module
