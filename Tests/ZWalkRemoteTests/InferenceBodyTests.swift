import Foundation
import Testing
@testable import ZWalkRemote

/// The binary tensor data extension's bodies, byte by byte: what zwalk sends, and every way a
/// reply can be read or refused.
@Suite struct InferenceBodyTests {
    static let url = "http://127.0.0.1:1/v2/models/m/infer"

    /// A reply as a server writes it: the JSON header, then each tensor's bytes.
    func reply(_ header: String, _ tensors: [[Float]]) -> (Data, String) {
        var d = Data(header.utf8)
        for t in tensors { t.withUnsafeBytes { d.append(contentsOf: $0) } }
        return (d, String(header.utf8.count))
    }

    @Test func theRequestIsAJSONHeaderThenTheLatentsAsLittleEndianFloats() throws {
        let z: [Float] = [1, -2.5, 0.125, 3, 4, 5]
        let (body, length) = InferenceBody.request(input: "z", shape: [2, 3], values: z, output: "image")
        let header = try #require(try JSONSerialization.jsonObject(with: body.prefix(length)) as? [String: Any])
        let input = try #require((header["inputs"] as? [[String: Any]])?.first)
        #expect(input["name"] as? String == "z" && input["datatype"] as? String == "FP32")
        #expect(input["shape"] as? [Int] == [2, 3])
        #expect((input["parameters"] as? [String: Any])?["binary_data_size"] as? Int == 24)
        let output = try #require((header["outputs"] as? [[String: Any]])?.first)
        #expect(output["name"] as? String == "image" && (output["parameters"] as? [String: Any])?["binary_data"] as? Bool == true)
        #expect(body.count == length + 24)
        let tail = Array(body.suffix(24))
        #expect(tail[0..<4] == [0x00, 0x00, 0x80, 0x3f][...], "1.0 little-endian")
        #expect(tail.withUnsafeBytes { raw in (0..<6).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } } == z)
    }

    @Test func binaryOutputsAreFoundByNameAfterTheOnesBefore() throws {
        let header = #"{"outputs":[{"name":"mu","shape":[1,2],"datatype":"FP32","parameters":{"binary_data_size":8}},"#
            + #"{"name":"image","shape":[1,3],"datatype":"FP32","parameters":{"binary_data_size":12}}]}"#
        let (body, length) = reply(header, [[9, 9], [0.5, 0.25, 1]])
        let r = try InferenceBody.output("image", in: body, headerLength: length, url: Self.url)
        #expect(r.shape == [1, 3] && r.values == [0.5, 0.25, 1])
    }

    @Test func jsonDataAndOtherFloatWidthsAreRead() throws {
        let json = #"{"outputs":[{"name":"image","shape":[2,2],"datatype":"FP32","data":[1,2.5,-3,0]}]}"#
        let r = try InferenceBody.output("image", in: Data(json.utf8), headerLength: nil, url: Self.url)
        #expect(r.shape == [2, 2] && r.values == [1, 2.5, -3, 0])

        var body = Data(#"{"outputs":[{"name":"image","shape":[2],"datatype":"FP64","parameters":{"binary_data_size":16}}]}"#.utf8)
        let length = body.count
        for x in [0.75, -1.5] { withUnsafeBytes(of: x) { body.append(contentsOf: $0) } }
        #expect(try InferenceBody.output("image", in: body, headerLength: String(length), url: Self.url).values == [0.75, -1.5])

        var half = Data(#"{"outputs":[{"name":"image","shape":[2],"datatype":"FP16","parameters":{"binary_data_size":4}}]}"#.utf8)
        let halfLength = half.count
        half.append(contentsOf: [0x00, 0x3c, 0x00, 0xc0]) // 1.0 and -2.0
        #expect(try InferenceBody.output("image", in: half, headerLength: String(halfLength), url: Self.url).values == [1, -2])
    }

    /// Each malformed reply is refused with what is wrong and where.
    @Test(arguments: [
        (#"{"outputs":[{"name":"image","shape":[1,4],"datatype":"FP32","parameters":{"binary_data_size":16}}]}"#, 8, "runs from byte"),
        (#"{"outputs":[{"name":"image","shape":[1,4],"datatype":"FP32","parameters":{"binary_data_size":12}}]}"#, 12, "needs 16 bytes, binary_data_size says 12"),
        (#"{"outputs":[{"name":"other","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}"#, 4, "no output named 'image' (it has other)"),
        (#"{"outputs":[{"name":"image","shape":[1],"datatype":"INT64","parameters":{"binary_data_size":8}}]}"#, 8, "is INT64"),
        (#"{"model_name":"m"}"#, 0, "no 'outputs' list"),
        (#"<html>502 Bad Gateway</html>"#, 0, "does not start with a JSON object"),
    ])
    func malformedRepliesAreRefused(header: String, bytes: Int, says: String) {
        var body = Data(header.utf8)
        let length = body.count
        body.append(Data(count: bytes))
        do {
            _ = try InferenceBody.output("image", in: body, headerLength: String(length), url: Self.url)
            Issue.record("accepted: \(header)")
        } catch let e as RemoteError {
            #expect(e.description.contains(says) && e.description.contains(Self.url), "\(e)")
            #expect(!e.isTransient)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func aHeaderLengthPastTheBodyIsRefused() {
        #expect(throws: RemoteError.self) { _ = try InferenceBody.output("image", in: Data("{}".utf8), headerLength: "99", url: Self.url) }
    }

    @Test func addressesAreReadAsAUserTypesThem() throws {
        #expect(try InferenceServer(address: "127.0.0.1:8000").address == "http://127.0.0.1:8000")
        #expect(try InferenceServer(address: "https://gpu-box/kserve/").address == "https://gpu-box/kserve")
        #expect(InferenceServer.modelPath("my model", version: "2") == "/v2/models/my%20model/versions/2")
        #expect(throws: RemoteError.self) { _ = try InferenceServer(address: "ftp://x") }
        #expect(throws: RemoteError.self) { _ = try InferenceServer(address: "http://x", timeout: 0) }
    }
}
