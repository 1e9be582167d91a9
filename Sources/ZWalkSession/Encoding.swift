import Foundation
import ZWalkEngine
import ZWalkFormats
import ZWalkImage
import ZWalkLatent

/// How a picture whose shape differs from the encoder's input is fitted to it.
public enum ImageFit: String, CaseIterable, Sendable {
    /// Resize to the input, aspect ratio or not (what PIL's `resize` does).
    case stretch
    /// Cut the largest centred region of the input's aspect ratio, then resize.
    case crop
}

/// A picture encoded into a latent, with what was done to it on the way.
public struct EncodedImage: Sendable {
    public let latent: [Float]
    public let encoderPath: String
    /// "1082×412 → 64×64, 3 channel(s), range -1.0…1.0"
    public let summary: String
    /// Set when the picture's aspect ratio was changed by stretching.
    public let warning: String?
}

extension ModelSession {
    /// Where the decoder's encoder lives: the option, or the decoder's `zwalk.encoder` metadata
    /// relative to the decoder file's folder.
    public func encoderPath() throws -> String {
        if let e = options.encoder { return e }
        guard let name = description.encoderFile, !name.isEmpty else {
            throw SessionError.noEncoder("\(path) names no encoder (no zwalk.encoder metadata)")
        }
        if name.hasPrefix("/") { return name }
        return URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Encodes a picture through the encoder: converted to its channels, fitted to its input (PIL's
    /// bilinear filter), mapped from 0…255 to `inputRange` (nil: the encoder's `zwalk.input_range`,
    /// else this decoder's output range). The encoder's first output (mu) is the latent.
    public func encode(_ picture: Image, fit: ImageFit = .stretch, inputRange: (Float, Float)? = nil) throws -> EncodedImage {
        let encPath = try encoderPath()
        let encoder = try ONNXLoader.load(path: encPath)
        let plan = try InferenceSession(model: encoder).plan(batch: 1)
        guard plan.inputShapes.count == 1 else {
            throw SessionError.shapeMismatch("\(encPath): the encoder takes \(plan.inputShapes.count) inputs (\(plan.inputNames.joined(separator: ", "))); zwalk feeds one image")
        }
        let inShape = plan.inputShapes[0]
        let (c, h, w): (Int, Int, Int)
        switch inShape.count {
        case 4 where [1, 3, 4].contains(inShape[1]): (c, h, w) = (inShape[1], inShape[2], inShape[3])
        case 3: (c, h, w) = (1, inShape[1], inShape[2])
        default:
            throw SessionError.shapeMismatch("\(encPath): input '\(plan.inputNames[0])' has shape \(inShape) at batch 1; zwalk feeds images as (1, C, H, W) with C = 1, 3 or 4, or (1, H, W)")
        }
        var range = outputRange
        if let r = inputRange {
            range = r
        } else if let text = encoder.metadata["zwalk.input_range"] {
            let parts = text.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, parts[0] < parts[1] else {
                throw SessionError.invalidOption("\(encPath): metadata zwalk.input_range = '\(text)' must be 'LO,HI' with LO < HI")
            }
            range = (parts[0], parts[1])
        }
        // Aspect ratios differ when w·H ≠ W·h (compared in integers, so 64×64 from 128×128 is equal).
        let aspectDiffers = picture.width * h != picture.height * w
        var source = picture
        var warning: String? = nil
        if aspectDiffers {
            switch fit {
            case .crop:
                // The largest centred region with the input's aspect ratio.
                let cw = min(picture.width, picture.height * w / h), ch = min(picture.height, picture.width * h / w)
                source = picture.cropped(x: (picture.width - cw) / 2, y: (picture.height - ch) / 2, width: max(1, cw), height: max(1, ch))
            case .stretch:
                warning = "the picture is \(picture.width)×\(picture.height), the encoder takes \(w)×\(h): stretched to fit (its aspect ratio changes)"
            }
        }
        let fitted = try source.converted(channels: c).resized(width: w, height: h)
        let outputs = try plan.run([Tensor(shape: inShape, floats: fitted.toCHWFloats(range: range))])
        guard let mu = outputs.first, mu.dtype == .float32 else {
            throw SessionError.shapeMismatch("\(encPath): the encoder has no float output")
        }
        guard mu.count == latentCount else {
            throw SessionError.shapeMismatch("\(encPath): its first output '\(plan.outputNames.first ?? "?")' has shape \(mu.shape) (\(mu.count) values), but \(name) takes latents of \(latentShape) (\(latentCount) values)")
        }
        let region = source.width == picture.width && source.height == picture.height ? "" : " (centre \(source.width)×\(source.height))"
        return EncodedImage(latent: mu.floatArray, encoderPath: encPath,
                            summary: "\(picture.width)×\(picture.height)\(region) → \(w)×\(h), \(c) channel(s), range \(range.0)…\(range.1)",
                            warning: warning)
    }
}
