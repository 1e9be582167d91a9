// ZWalkTUI module
