/// What a model session refuses. Messages name the file, the latent or the value, never a flag:
/// each front end words its own hint (a command-line flag, a `:` command in the explorer).
public enum SessionError: Error, CustomStringConvertible, Equatable {
    /// A value given by the user is out of range (a ψ, an output range, an index).
    case invalidOption(String)
    /// A latent or a batch does not fit the model.
    case shapeMismatch(String)
    /// A file holds no latents zwalk can use; names the file.
    case unusableLatents(String)
    /// The model's output is not a picture.
    case notAnImageModel(String)
    /// The output path's kind is unknown (names the extensions known).
    case unknownOutputKind(path: String, known: [String])
    /// Two outputs of one command would land on the same file.
    case duplicateOutput(String)
    /// No shipped model was found; lists where zwalk looked.
    case noShippedModel(file: String, searched: [String])
    /// The model names no encoder and none was given.
    case noEncoder(String)
    /// Work that reads the graph or weights asked of a served model.
    case needsLocalModel(String)

    public var description: String {
        switch self {
        case .invalidOption(let s), .shapeMismatch(let s), .unusableLatents(let s), .notAnImageModel(let s), .noEncoder(let s),
             .needsLocalModel(let s):
            return s
        case .unknownOutputKind(let path, let known):
            return "\(path): unknown kind of output; the name must end in \(known.joined(separator: ", "))"
        case .duplicateOutput(let p):
            return "two outputs would both be written to \(p)"
        case .noShippedModel(let file, let searched):
            return "the shipped model (\(file)) is not installed; looked in:\n" + searched.map { "  " + $0 }.joined(separator: "\n")
                + "\nset ZWALK_ASSETS to its folder, install with 'make install PREFIX=…', or name a model: zwalk MODEL.onnx"
                + "\nthe shipped models: " + ShippedModel.allCases.map { "\($0.rawValue) (\($0.fileName))" }.joined(separator: ", ")
        }
    }
}
