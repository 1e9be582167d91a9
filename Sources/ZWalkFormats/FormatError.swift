import Foundation

/// A file zwalk cannot read, with where it went wrong: the file, the place inside it (message,
/// field, tensor) and the byte offset, so that a user can look at the bytes and a test can check
/// that the message points at the right spot. A hint says what to do when the cause is guessable
/// (llm.c's `---> HINT` habit): a PyTorch checkpoint given where ONNX is expected, a Git LFS
/// pointer instead of the real file, and the like.
public struct FormatError: Error, CustomStringConvertible, Equatable {
    /// The file as the user named it ("<memory>" for data without a file).
    public var file: String
    /// Where in the file: "TensorProto 'conv1.weight' field raw_data", "header", … ("" for the whole file).
    public var place: String
    /// Byte offset from the start of `file`, when the fault has one.
    public var offset: Int?
    public var message: String
    /// A lower-level account of the fault, shown after the message: for a file that is not what
    /// was expected at all, where and why its parse stopped ("ModelProto at byte 0: field 4 …").
    public var detail: String?
    public var hint: String?

    public init(file: String, place: String = "", offset: Int? = nil, message: String, detail: String? = nil,
                hint: String? = nil) {
        self.file = file; self.place = place; self.offset = offset; self.message = message
        self.detail = detail; self.hint = hint
    }

    public var description: String {
        // "model.onnx: TensorProto 'w' field raw_data at byte 12: …", "model.pt at byte 0: …", "z.npy: …"
        var head = file
        if !place.isEmpty { head += ": " + place }
        if let o = offset { head += " at byte \(o)" }
        var s = head + ": " + message
        if let d = detail { s += "\ndetail: " + d }
        if let h = hint { s += "\nhint: " + h }
        return s
    }

    /// The error without the file name: place, byte offset and message (to quote it as another
    /// error's detail).
    public var located: String {
        let at = (place.isEmpty ? [] : [place]) + (offset.map { ["at byte \($0)"] } ?? [])
        return at.isEmpty ? message : at.joined(separator: " ") + ": " + message
    }
}

/// Recognises files that are not what the caller expected by their first bytes, to turn "bad
/// varint at byte 3" into "this is a PyTorch checkpoint; export it with torch.onnx.export".
enum FileSniffer {
    enum Kind: Equatable {
        case zip, pickle, safetensors, npy, gitLFSPointer, gguf, hdf5, tflite, html, onnx
        case unknown
    }

    static func kind(of bytes: UnsafeRawBufferPointer) -> Kind {
        func starts(_ s: [UInt8]) -> Bool {
            bytes.count >= s.count && zip(bytes.prefix(s.count), s).allSatisfy { $0 == $1 }
        }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) { return .zip }
        // Pickle protocol 2+ starts with PROTO (0x80) and the protocol number.
        if bytes.count >= 2, bytes[0] == 0x80, (2...5).contains(bytes[1]) { return .pickle }
        if starts([0x93] + Array("NUMPY".utf8)) { return .npy }
        if starts(Array("version https://git-lfs".utf8)) { return .gitLFSPointer }
        if starts(Array("GGUF".utf8)) { return .gguf }
        if starts([0x89, 0x48, 0x44, 0x46]) { return .hdf5 }
        if bytes.count >= 8, Array(bytes[4..<8]) == Array("TFL3".utf8) { return .tflite }
        if starts(Array("<".utf8)) { return .html }
        // safetensors: an 8-byte little-endian header length that fits the file, then a JSON object.
        if bytes.count >= 10 {
            var n: UInt64 = 0
            for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
            if n >= 2, n <= UInt64(bytes.count - 8), bytes[8] == UInt8(ascii: "{") { return .safetensors }
        }
        return .unknown
    }

    /// What to tell a user who gave a file of `kind` where an ONNX model was expected.
    static func onnxHint(for kind: Kind) -> String? {
        switch kind {
        case .zip:
            return "this looks like a PyTorch checkpoint (zip) or a NumPy .npz, not an ONNX model; export the model with torch.onnx.export(model, example_input, \"model.onnx\"), then give checkpoints as --weights"
        case .pickle:
            return "this looks like a pickled PyTorch checkpoint, not an ONNX model; export the model with torch.onnx.export(model, example_input, \"model.onnx\"), then give checkpoints as --weights"
        case .safetensors:
            return "this is a safetensors file (weights only, no graph); load the architecture's ONNX model and bind these weights onto it (--weights FILE.safetensors)"
        case .npy:
            return "this is a NumPy .npy array, not a model"
        case .gitLFSPointer:
            return "this is a Git LFS pointer, not the model itself; run `git lfs pull` in its repository"
        case .gguf:
            return "this is a GGUF file (llama.cpp); zwalk reads ONNX models"
        case .hdf5:
            return "this looks like a Keras/HDF5 file; convert it to ONNX with tf2onnx"
        case .tflite:
            return "this is a TensorFlow Lite model; convert it to ONNX with tf2onnx"
        case .html:
            return "this file starts like HTML or XML text; a download may have saved an error page instead of the model"
        case .onnx, .unknown:
            return nil
        }
    }
}
