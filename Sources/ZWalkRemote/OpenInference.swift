import Foundation
import ZWalkFormats

/// The Open Inference Protocol (KServe v2; Triton, KServe, MLServer, Seldon and TorchServe speak
/// it) over HTTP/REST, the part zwalk needs: health, model readiness and metadata, Triton's model
/// configuration when there is one, and inference with the binary tensor data extension, so
/// latents and images travel as raw little-endian floats after a small JSON header.
public struct InferenceServer: Sendable {
    /// http(s)://host:port[/prefix], without a trailing slash.
    public let base: URL
    /// Seconds a request may take (a slow model's batch on a busy server).
    public let timeout: Double
    let http: HTTPClient

    /// `address`: "http://host:8000", "host:8000" (http assumed) or with a path prefix.
    public init(address: String, timeout: Double = 60) throws {
        var text = address.trimmingCharacters(in: .whitespaces)
        if !text.contains("://") { text = "http://" + text }
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            throw RemoteError.unreachable(url: address, reason: "not an http:// or https:// address (e.g. http://127.0.0.1:8000)")
        }
        guard timeout > 0, timeout.isFinite else {
            throw RemoteError.unreachable(url: address, reason: "the timeout must be more than 0 seconds")
        }
        base = url
        self.timeout = timeout
        http = HTTPClient()
    }

    public var address: String { base.absoluteString }

    func url(_ path: String) -> URL { URL(string: base.absoluteString + path)! }

    /// /v2/models/NAME[/versions/V]
    public static func modelPath(_ name: String, version: String?) -> String {
        let n = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? name
        guard let version, !version.isEmpty else { return "/v2/models/\(n)" }
        return "/v2/models/\(n)/versions/\(version.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? version)"
    }

    /// Throws unless `/v2/health/ready` answers 200.
    public func checkReady() throws {
        let reply = try http.send("GET", url("/v2/health/ready"), timeout: min(timeout, 10))
        guard reply.status == 200 else {
            if reply.status == 404 {
                throw RemoteError.badReply(url: url("/v2/health/ready").absoluteString,
                                           reason: "HTTP 404: no Open Inference Protocol (v2) endpoint there; is the address the server's HTTP port?")
            }
            throw RemoteError.notReady(server: address, status: reply.status)
        }
    }

    /// Throws unless the model (and version) is there and ready.
    public func checkModelReady(_ name: String, version: String?) throws {
        let path = Self.modelPath(name, version: version)
        let reply = try http.send("GET", url(path + "/ready"), timeout: min(timeout, 10))
        switch reply.status {
        case 200: return
        case 400, 404:
            throw RemoteError.noSuchModel(server: address, model: name + (version.map { " version \($0)" } ?? ""),
                                          message: Self.errorMessage(reply.body))
        default:
            throw RemoteError.modelNotReady(server: address, model: name, status: reply.status)
        }
    }

    /// The model's metadata (`GET /v2/models/NAME`) and, from servers that publish one (Triton),
    /// its configuration's max_batch_size and string parameters.
    public func metadata(_ name: String, version: String?) throws -> ServedModel {
        let path = Self.modelPath(name, version: version)
        let u = url(path)
        let reply = try http.send("GET", u, timeout: timeout)
        guard reply.status == 200 else {
            throw RemoteError.server(url: u.absoluteString, status: reply.status, message: Self.errorMessage(reply.body))
        }
        var model = try ServedModel(json: reply.body, url: u.absoluteString)
        // Triton's configuration; other servers answer 404 (or something that is not one), which
        // only means there is none.
        if let config = try? http.send("GET", url(path + "/config"), timeout: min(timeout, 10)), config.status == 200,
           let object = (try? JSONSerialization.jsonObject(with: config.body)) as? [String: Any] {
            if let b = object["max_batch_size"] as? Int, b > 0 { model.maxBatchSize = b }
            if let p = object["parameters"] as? [String: Any] {
                for (k, v) in p {
                    if let s = (v as? [String: Any])?["string_value"] as? String { model.parameters[k] = s }
                    else if let s = v as? String { model.parameters[k] = s }
                }
            }
        }
        return model
    }

    /// One inference: `latents` (shape, FP32) into input `input`, output `output` back as floats
    /// with its shape. Binary both ways; a server that answers in JSON is read too.
    public func infer(_ name: String, version: String?, input: String, shape: [Int], latents: [Float],
                      output: String) throws -> (shape: [Int], values: [Float]) {
        let u = url(Self.modelPath(name, version: version) + "/infer")
        let (body, headerLength) = InferenceBody.request(input: input, shape: shape, values: latents, output: output)
        let reply = try http.send("POST", u, headers: [
            "Content-Type": "application/octet-stream",
            "Inference-Header-Content-Length": String(headerLength),
        ], body: body, timeout: timeout)
        guard reply.status == 200 else {
            if reply.status == 404 {
                throw RemoteError.noSuchModel(server: address, model: name, message: Self.errorMessage(reply.body))
            }
            throw RemoteError.server(url: u.absoluteString, status: reply.status, message: Self.errorMessage(reply.body))
        }
        return try InferenceBody.output(output, in: reply.body, headerLength: reply.headers["inference-header-content-length"],
                                        url: u.absoluteString)
    }

    /// The server's `{"error": "…"}`, or the start of whatever it sent.
    static func errorMessage(_ body: Data) -> String {
        if let o = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] {
            if let e = o["error"] as? String { return e }
            if let e = o["detail"] as? String { return e }
        }
        let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.unicodeScalars.allSatisfy({ $0.value >= 0x20 || $0 == "\n" }) ? text : "\(body.count) bytes of binary"
    }
}

/// What the server says of one tensor of a model.
public struct TensorMetadata: Sendable, Equatable {
    public var name: String
    public var datatype: String
    /// -1 where the size varies (the batch, usually).
    public var shape: [Int]
}

/// A model's metadata as the server gives it.
public struct ServedModel: Sendable {
    public var name: String
    public var versions: [String]
    public var platform: String
    public var inputs: [TensorMetadata]
    public var outputs: [TensorMetadata]
    /// String parameters (`zwalk.latent_shape`, `zwalk.output_range`, …) from the metadata's
    /// `parameters` (MLServer) or Triton's configuration.
    public var parameters: [String: String]
    /// Triton's max_batch_size, when its configuration says one.
    public var maxBatchSize: Int?
    /// The metadata as canonical JSON (sorted keys): part of the model's fingerprint.
    public var canonical: String

    init(json: Data, url: String) throws {
        guard let o = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw RemoteError.badReply(url: url, reason: "the model metadata is not a JSON object (\(InferenceServer.errorMessage(json)))")
        }
        func tensors(_ key: String) throws -> [TensorMetadata] {
            guard let list = o[key] as? [[String: Any]] else {
                throw RemoteError.badReply(url: url, reason: "the model metadata has no '\(key)' list")
            }
            return try list.enumerated().map { i, t in
                guard let name = t["name"] as? String, let type = t["datatype"] as? String,
                      let shape = t["shape"] as? [Any] else {
                    throw RemoteError.badReply(url: url, reason: "\(key)[\(i)] lacks a name, datatype or shape")
                }
                let dims = try shape.map { d -> Int in
                    guard let n = d as? Int ?? (d as? String).flatMap(Int.init) else {
                        throw RemoteError.badReply(url: url, reason: "\(key)[\(i)] '\(name)' has a shape entry that is not an integer")
                    }
                    return n
                }
                return TensorMetadata(name: name, datatype: type, shape: dims)
            }
        }
        name = o["name"] as? String ?? ""
        versions = (o["versions"] as? [Any])?.map { "\($0)" } ?? []
        platform = o["platform"] as? String ?? ""
        inputs = try tensors("inputs")
        outputs = try tensors("outputs")
        parameters = [:]
        if let p = o["parameters"] as? [String: Any] {
            for (k, v) in p { if let s = v as? String { parameters[k] = s } }
        }
        let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? json
        canonical = String(decoding: data, as: UTF8.self)
    }
}

/// The binary tensor data extension's bodies: a JSON header of `Inference-Header-Content-Length`
/// bytes, then each binary tensor's raw bytes in the order the header lists them.
enum InferenceBody {
    static func request(input: String, shape: [Int], values: [Float], output: String) -> (Data, Int) {
        let header = JSON.object([
            ("inputs", .array([.object([
                ("name", .string(input)),
                ("shape", .array(shape.map { .int($0) })),
                ("datatype", .string("FP32")),
                ("parameters", .object([("binary_data_size", .int(values.count * 4))])),
            ])])),
            ("outputs", .array([.object([
                ("name", .string(output)),
                ("parameters", .object([("binary_data", .bool(true))])),
            ])])),
        ]).text
        var body = Data(header.utf8)
        let length = body.count
        values.withUnsafeBytes { raw in
            // Floats are little-endian on every machine zwalk runs on, as the extension wants.
            body.append(contentsOf: raw)
        }
        return (body, length)
    }

    /// The named output of a reply: binary (after the header) or JSON `data`.
    static func output(_ name: String, in body: Data, headerLength: String?, url: String) throws -> (shape: [Int], values: [Float]) {
        var jsonEnd = body.count
        if let h = headerLength {
            guard let n = Int(h.trimmingCharacters(in: .whitespaces)), n >= 0, n <= body.count else {
                throw RemoteError.badReply(url: url, reason: "Inference-Header-Content-Length is \(h), the body has \(body.count) bytes")
            }
            jsonEnd = n
        }
        let bytes = body.prefix(jsonEnd)
        guard let o = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else {
            throw RemoteError.badReply(url: url, reason: "the reply does not start with a JSON object (\(InferenceServer.errorMessage(Data(bytes))))")
        }
        guard let outputs = o["outputs"] as? [[String: Any]] else {
            throw RemoteError.badReply(url: url, reason: "the reply has no 'outputs' list")
        }
        var offset = jsonEnd
        for (i, t) in outputs.enumerated() {
            let params = t["parameters"] as? [String: Any]
            let binarySize = params?["binary_data_size"] as? Int
            let tensorName = t["name"] as? String ?? ""
            guard tensorName == name else {
                if let b = binarySize { offset += b }
                continue
            }
            guard let shape = (t["shape"] as? [Any])?.compactMap({ $0 as? Int }), shape.allSatisfy({ $0 >= 0 }) else {
                throw RemoteError.badReply(url: url, reason: "outputs[\(i)] '\(name)' has no shape of integers")
            }
            let count = shape.reduce(1, *)
            let type = (t["datatype"] as? String ?? "").uppercased()
            guard let width = ["FP32": 4, "FP64": 8, "FP16": 2][type] else {
                throw RemoteError.badReply(url: url, reason: "outputs[\(i)] '\(name)' is \(type.isEmpty ? "of no datatype" : type), zwalk reads FP32, FP16 or FP64 images")
            }
            if let b = binarySize {
                guard b == count * width else {
                    throw RemoteError.badReply(url: url, reason: "outputs[\(i)] '\(name)' of shape \(shape) \(type) needs \(count * width) bytes, binary_data_size says \(b)")
                }
                guard offset + b <= body.count else {
                    throw RemoteError.badReply(url: url, reason: "outputs[\(i)] '\(name)' runs from byte \(offset) to \(offset + b), past the end of the \(body.count)-byte body")
                }
                return (shape, decode(body[(body.startIndex + offset)..<(body.startIndex + offset + b)], type: type, count: count))
            }
            guard let data = t["data"] as? [Any] else {
                throw RemoteError.badReply(url: url, reason: "outputs[\(i)] '\(name)' has neither binary data nor a 'data' list")
            }
            let values = data.compactMap { ($0 as? NSNumber)?.floatValue }
            guard values.count == count, data.count == count else {
                throw RemoteError.badReply(url: url, reason: "outputs[\(i)] '\(name)' of shape \(shape) holds \(data.count) values, not \(count) numbers")
            }
            return (shape, values)
        }
        throw RemoteError.badReply(url: url, reason: "the reply has no output named '\(name)' (it has \(outputs.compactMap { $0["name"] as? String }.joined(separator: ", ")))")
    }

    static func decode(_ bytes: Data, type: String, count: Int) -> [Float] {
        bytes.withUnsafeBytes { raw -> [Float] in
            switch type {
            case "FP64": return (0..<count).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }
            case "FP16": return (0..<count).map { HalfFloat.float16ToFloat(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
            default: return (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
            }
        }
    }
}
