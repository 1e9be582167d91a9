import Foundation
import ZWalkEngine

/// SHA-256 (FIPS 180-4), written out because Foundation on Linux has no digest API and CryptoKit
/// does not exist there. Used for model fingerprints: a direction set records the sha256 of the
/// model file it was computed for, the same string `sha256sum` prints.
public struct SHA256: Sendable {
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    private var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    /// Bytes not yet forming a whole 64-byte block.
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    public init() { pending.reserveCapacity(64) }

    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        update(Data(bytes))
    }

    public mutating func update(_ data: Data) {
        length &+= UInt64(data.count)
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            if !pending.isEmpty {
                let take = min(64 - pending.count, raw.count)
                pending.append(contentsOf: raw[0..<take])
                offset = take
                if pending.count == 64 {
                    pending.withUnsafeBytes { SHA256.compress(&h, $0.baseAddress!, blocks: 1) }
                    pending.removeAll(keepingCapacity: true)
                }
            }
            let whole = (raw.count - offset) / 64
            if whole > 0, let base = raw.baseAddress {
                SHA256.compress(&h, base + offset, blocks: whole)
                offset += whole * 64
            }
            if offset < raw.count { pending.append(contentsOf: raw[offset...]) }
        }
    }

    /// The 32-byte digest. Finalises a copy, so `update` may continue afterwards.
    public func finalize() -> [UInt8] {
        var copy = self
        let bitLength = length &* 8
        var tail: [UInt8] = [0x80]
        let padZeros = (64 + 56 - (pending.count + 1) % 64) % 64
        tail += [UInt8](repeating: 0, count: padZeros)
        for i in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(i))) }
        let block = copy.pending + tail
        block.withUnsafeBytes { SHA256.compress(&copy.h, $0.baseAddress!, blocks: block.count / 64) }
        var out: [UInt8] = []
        for word in copy.h { for shift in [24, 16, 8, 0] { out.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) } }
        return out
    }

    public func hexDigest() -> String { finalize().map { String(format: "%02x", $0) }.joined() }

    public static func hash<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var s = SHA256(); s.update(bytes); return s.hexDigest()
    }

    public static func hash(_ data: Data) -> String {
        var s = SHA256(); s.update(data); return s.hexDigest()
    }

    /// The fingerprint of a file, read in 1 MiB chunks.
    public static func hash(file path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw LatentError.invalidFile(path: path, reason: "cannot be opened for reading")
        }
        defer { try? handle.close() }
        var s = SHA256()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw LatentError.invalidFile(path: path, reason: "cannot read it: \(fileErrorReason(error))")
            }
            if chunk.isEmpty { break }
            s.update(chunk)
        }
        return s.hexDigest()
    }

    /// The compression function over `blocks` consecutive 64-byte blocks at `p`. Works on raw
    /// pointers and locals: a model file is megabytes, and per-block arrays made it crawl in debug builds.
    private static func compress(_ state: inout [UInt32], _ p: UnsafeRawPointer, blocks: Int) {
        @inline(__always) func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 - n) }
        var h0 = state[0], h1 = state[1], h2 = state[2], h3 = state[3]
        var h4 = state[4], h5 = state[5], h6 = state[6], h7 = state[7]
        k.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                for blk in 0..<blocks {
                    let block = p + 64 * blk
                    for i in 0..<16 { w[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
                    for i in 16..<64 {
                        let x = w[i - 15], y = w[i - 2]
                        let s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3)
                        let s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >> 10)
                        w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
                    }
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, hh = h7
                    for i in 0..<64 {
                        let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                        let ch = (e & f) ^ (~e & g)
                        let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                        let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                        let maj = (a & b) ^ (a & c) ^ (b & c)
                        let t2 = s0 &+ maj
                        hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= hh
                }
            }
        }
        state = [h0, h1, h2, h3, h4, h5, h6, h7]
    }
}
