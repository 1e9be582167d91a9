import Foundation

/// How an animation plays: frames per second and whether it repeats. One value for every format,
/// so APNG and GIF of the same frames play alike.
public struct AnimationTiming: Equatable, Sendable {
    /// Frames per second, 1…`maxFPS`.
    public var fps: Int
    /// Repeat forever (true) or play once and stop on the last frame (false).
    public var loop: Bool

    /// GIF delays are whole centiseconds and browsers replace delays under 2 cs by 10 cs, so
    /// 50 fps is the fastest rate every viewer plays as written.
    public static let maxFPS = 50

    public init(fps: Int, loop: Bool) { self.fps = fps; self.loop = loop }

    /// Refuses what `format` cannot store: a rate outside 1…maxFPS, no frames, frames wider or
    /// taller than `maxSide`, frames that differ in size or channels.
    func check(_ frames: [Image], format: String, source: String, maxSide: Int) throws {
        guard (1...AnimationTiming.maxFPS).contains(fps) else {
            throw AnimationError(format, source, "\(fps) frames per second; animations take 1…\(AnimationTiming.maxFPS)")
        }
        guard let first = frames.first else { throw AnimationError(format, source, "an animation needs at least one frame") }
        guard first.width > 0, first.height > 0, first.width <= maxSide, first.height <= maxSide else {
            throw AnimationError(format, source, "frames of \(first.width) x \(first.height) pixels cannot be stored")
        }
        if let i = frames.firstIndex(where: { $0.width != first.width || $0.height != first.height || $0.channels != first.channels }) {
            throw AnimationError(format, source, "frame \(i) is \(frames[i].width) x \(frames[i].height) x \(frames[i].channels), frame 0 is \(first.width) x \(first.height) x \(first.channels); all frames must match")
        }
    }
}

/// An animation that could not be encoded: names the format, the file and what is wrong.
public struct AnimationError: Error, CustomStringConvertible, Equatable {
    public let format: String
    public let source: String
    public let message: String
    init(_ format: String, _ source: String, _ message: String) { self.format = format; self.source = source; self.message = message }
    public var description: String { "cannot encode \(format) \(source): \(message)" }
}
