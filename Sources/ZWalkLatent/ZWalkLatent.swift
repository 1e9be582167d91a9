// ZWalkLatent: what users do with a latent space, as a library the TUI and the CLI drive.
//
//   RandomState.swift      numpy.random.RandomState, bit for bit (MT19937 + legacy polar Box–Muller)
//   Prior.swift            normal / uniform priors from model metadata or flags, truncation ψ
//   LatentDecoder.swift    a decoder as flat latents → flat outputs, in bounded batches
//   FirstLayer.swift       the first Gemm/MatMul/ConvTranspose on the latent; cutting a model at a value
//   Directions.swift       per-axis, SeFa, GANSpace PCA, local (Jacobian) and attribute directions
//   DirectionSet.swift     a set of directions tied to one model (sha256) and latent shape; JSON sidecar
//   DirectionSetFile.swift .npy + sidecar save/load with the model check
//   SHA256.swift           model fingerprints (Foundation on Linux has no digest API)
//   Interpolation.swift    lerp, slerp, keyframe paths (open or looping)
//   Geodesic.swift         shortening a path in output space (discrete path energy)
//   Figures.swift          latents for sample grids, traversals, strips, 2-D slices, J-diagrams
//
// Nothing here knows about terminals, arguments or PNG: decoding latents into images and
// composing them is ZWalkImage's job.
