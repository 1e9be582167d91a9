import Foundation
import ZWalkEngine
import ZWalkFormats

/// Direction sets on disk: the vectors as a float32 .npy of rows (count, latentCount) — readable
/// with `numpy.load` and by other tools — and a JSON sidecar `<path>.json` with the method, the
/// model fingerprint, the latent shape, names, scores and sigmas.
extension DirectionSet {
    public static func sidecarPath(for npyPath: String) -> String { npyPath + ".json" }

    /// Writes the .npy and its sidecar. Without `overwrite`, refuses (before writing anything) when
    /// either file exists. Each file is written atomically; if the sidecar cannot be written after
    /// a fresh .npy was, the .npy is removed again so no unlabelled set is left behind.
    public func save(npyPath: String, overwrite: Bool) throws {
        let sidecar = DirectionSet.sidecarPath(for: npyPath)
        if !overwrite {
            for p in [npyPath, sidecar] where FileManager.default.fileExists(atPath: p) { throw FileWriteError.exists(p) }
        }
        let rows = Tensor(shape: [count, latentCount], floats: vectors.flatMap { $0 })
        let json = try sidecarJSON()
        try NPY.write(rows, to: npyPath, overwrite: overwrite)
        do {
            try AtomicFile.write(json, to: sidecar, overwrite: overwrite)
        } catch {
            if !overwrite { try? FileManager.default.removeItem(atPath: npyPath) }
            throw error
        }
    }

    /// Reads a set and checks it belongs to the model (`sha` of the model file) and its latent
    /// shape; see `check`. A bare .npy without a sidecar (from another tool) is accepted only with
    /// `force`: its rows are normalised, their lengths kept as sigmas, the method is "imported".
    public static func load(npyPath: String, expectingModel sha: String, latentShape: [Int], force: Bool = false) throws -> DirectionSet {
        let t = try NPY.read(path: npyPath)
        let latentCount = latentShape.reduce(1, *)
        guard t.dtype == .float32, t.rank >= 2, t.shape[0] >= 1 else {
            throw LatentError.invalidFile(path: npyPath, reason: "directions must be a float array of rows (count, latent…), got \(t.dtype) \(t.shape)")
        }
        let width = t.shape.dropFirst().reduce(1, *)
        let f = t.floats
        let rows = (0..<t.shape[0]).map { r in Array(f[(r * width)..<((r + 1) * width)]) }
        let sidecar = sidecarPath(for: npyPath)
        let set: DirectionSet
        if FileManager.default.fileExists(atPath: sidecar) {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: sidecar)) } catch {
                throw LatentError.invalidFile(path: sidecar, reason: "cannot read it: \(fileErrorReason(error))")
            }
            set = try fromSidecar(data, vectors: rows, path: sidecar)
            if set.latentCount != width {
                throw LatentError.invalidFile(path: npyPath, reason: "rows have \(width) values but the sidecar says latent shape \(set.latentShape)")
            }
        } else {
            guard force else {
                throw LatentError.mismatchedDirections("\(npyPath) has no sidecar \(sidecar), so nothing says which model it was made for")
            }
            guard width == latentCount else {
                throw LatentError.mismatchedDirections("\(npyPath) has rows of \(width) values, but the model's latent is \(latentShape) (\(latentCount) values)")
            }
            var unit: [[Float]] = [], sigmas: [Float] = []
            for (i, r) in rows.enumerated() {
                guard let u = Vec.normalized(r) else {
                    throw LatentError.invalidFile(path: npyPath, reason: "row \(i) is zero or not finite")
                }
                unit.append(u); sigmas.append(Float(Vec.norm(r)))
            }
            return try DirectionSet(method: "imported", modelSHA256: sha, latentShape: latentShape, vectors: unit,
                                    names: rows.indices.map { "direction \($0)" },
                                    scores: [Float](repeating: 0, count: rows.count), scoreKind: .unknown,
                                    sigmas: sigmas, notes: "imported from \(npyPath) without a sidecar; row lengths kept as sigmas")
        }
        try set.check(model: sha, latentShape: latentShape, force: force, source: npyPath)
        return set
    }
}
