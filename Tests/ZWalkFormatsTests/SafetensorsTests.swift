import Foundation
import Testing
import ZWalkEngine
@testable import ZWalkFormats

@Suite struct SafetensorsTests {
    /// The fixture written from the format's specification (make_fixtures.py: safetensors_file).
    @Test func readsTheFixture() throws {
        let (t, meta) = try Safetensors.read(path: Fixtures.path("weights.safetensors"))
        #expect(meta == ["format": "pt", "source": "fixture"])
        #expect(Set(t.keys) == ["decoder.w", "decoder.h", "decoder.bf", "decoder.d", "bn.num_batches_tracked"])
        #expect(t["decoder.w"]?.shape == [2, 3])
        #expect(t["decoder.w"]?.floatArray == (0..<6).map { Float($0) - 2.5 })
        #expect(t["decoder.h"]?.floatArray == [1, -0.5, 0x1p-24, 65504])
        // bfloat16 by truncation of float32 (the fixture shifts the bits): 3.0e38 → 0x7F61.
        #expect(t["decoder.bf"]?.floatArray == [1, -2.5, Float(bitPattern: 0x7F61_0000), 0x1p-133])
        #expect(t["decoder.d"]?.floatArray == [0.25, -1e10])
        #expect(t["bn.num_batches_tracked"]?.dtype == .int64)
        #expect(t["bn.num_batches_tracked"]?.shape == [])
        #expect(t["bn.num_batches_tracked"]?.intArray == [12345])
    }

    /// A header that does not parse says where (the file's byte offset) and what was expected there.
    @Test(arguments: [
        (#"{"a":{"dtype":"F32" "shape":[1]}}"#, 28, "',' or '}' in an object"),
        (#"{"a":tru}"#, 16, "'true'"),
        (#"{"a":"x\q"}"#, 16, "an escape"),
        (#"{"a":01}"#, 14, "',' or '}' in an object"),
        (#"{"a":1} x"#, 16, "the end of the text"),
        (#"{"a":[1,2"#, 17, "',' or ']'"),
    ])
    func aHeaderThatDoesNotParseSaysWhereAndWhat(header: String, offset: Int, expected: String) throws {
        var data = Data()
        var n = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &n) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        #expect { _ = try Safetensors.decode(data, source: "w.safetensors") } throws: { e in
            guard let f = e as? FormatError else { return false }
            return f.offset == offset && "\(f)".contains("expected \(expected)") && "\(f)".contains("w.safetensors")
        }
    }

    @Test func encodeDecodeRoundTrip() throws {
        let tensors: [String: Tensor] = [
            "a.weight": Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]),
            "a.bias": Tensor(shape: [3], floats: [-1, 0, 1]),
            "steps": Tensor(shape: [], ints: [7]),
            "mask": Tensor(shape: [2], ints: [1, 0], dtype: .bool),
            "empty": Tensor(shape: [0, 4], floats: []),
            "quote\"name": Tensor(shape: [1], floats: [9]),
        ]
        let data = Safetensors.encode(tensors, metadata: ["k": "v"])
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(n % 8 == 0)
        let (back, meta) = try Safetensors.decode(data, source: "mem.safetensors")
        #expect(meta == ["k": "v"])
        #expect(Set(back.keys) == Set(tensors.keys))
        for (k, t) in tensors {
            #expect(back[k]?.shape == t.shape && back[k]?.dtype == t.dtype, "\(k)")
            #expect(back[k]?.doubleArray == t.doubleArray, "\(k)")
        }
    }

    /// Safetensors' tensors through the one binder every weights file uses.
    func bind(_ t: [String: Tensor], onto model: Model, allowMissing: Bool = false, source: String = "weights") throws -> (Model, BindReport) {
        try WeightBinder.bind(WeightSource(tensors: t, file: source), onto: model, allowMissing: allowMissing)
    }

    static func tinyModel() throws -> Model {
        try ONNXLoader.load(path: Fixtures.path("tiny.onnx"))
    }

    @Test func bindReplacesInitializersByName() throws {
        let model = try Self.tinyModel()
        let w = Tensor(shape: [3, 4], floats: (0..<12).map { Float($0) })
        let b = Tensor(shape: [3], floats: [9, 8, 7])
        let (bound, report) = try bind(["W": w, "b": b, "extra.running_var": Tensor(shape: [2], floats: [1, 1])], onto: model)
        #expect(bound.graph.initializers["W"]?.floatArray == w.floatArray)
        #expect(bound.graph.initializers["b"]?.floatArray == [9, 8, 7])
        #expect(report.bound == ["W", "b"] && report.unusedInFile == ["extra.running_var"] && report.notCovered.isEmpty)
        #expect(report.mappings == [.init(initializer: "W", tensor: "W", rule: .exact), .init(initializer: "b", tensor: "b", rule: .exact)])
        #expect(report.description.contains("2 initializer(s) from weights; 1 tensor(s) in the file unused ('extra.running_var')"))
        // The original model is untouched (value semantics of Model).
        #expect(model.graph.initializers["b"]?.floatArray == [0.5, -0.25, 0])
        // The bound model runs.
        let y = try InferenceSession(model: bound).run([Tensor(shape: [1, 4], floats: [1, 0, 0, 0])])[0]
        #expect(y.floatArray == [9, 12, 15])
    }

    @Test func bindShapeMismatchNamesBothShapes() throws {
        let model = try Self.tinyModel()
        #expect {
            _ = try bind(["W": Tensor(shape: [4, 3], floats: [Float](repeating: 0, count: 12))], onto: model,
                         allowMissing: true, source: "ft.safetensors")
        } throws: { e in
            "\(e)".hasPrefix("ft.safetensors: cannot bind onto") && "\(e)".contains("'W': the file's tensor has shape [4, 3] but the model's initializer has shape [3, 4]")
        }
    }

    @Test func bindMissingWeights() throws {
        let model = try Self.tinyModel()
        let only = ["b": Tensor(shape: [3], floats: [1, 2, 3])]
        #expect {
            _ = try bind(only, onto: model, source: "ft.safetensors")
        } throws: { e in "\(e)".contains("ft.safetensors: cannot bind") && "\(e)".contains("lacks 1 weight(s) of the model: 'W' [3, 4]") }
        let (_, report) = try bind(only, onto: model, allowMissing: true)
        #expect(report.notCovered == ["W"] && report.bound == ["b"])
    }

    @Test func bindWithNoMatchingNameIsAnError() throws {
        let model = try Self.tinyModel()
        #expect {
            _ = try bind(["decoder.fc.weight": Tensor(shape: [3, 4], floats: [Float](repeating: 0, count: 12))],
                         onto: model, allowMissing: true, source: "other.safetensors")
        } throws: { e in "\(e)".contains("none of its 1 tensor names matches an initializer") && "\(e)".contains("hint:") }
    }

    @Test func bindDtypeMismatch() throws {
        let model = try Self.tinyModel()
        #expect {
            _ = try bind(["b": Tensor(shape: [3], ints: [1, 2, 3])], onto: model, allowMissing: true, source: "ft.safetensors")
        } throws: { e in "\(e)".contains("'b': the file's tensor is int64 but the model's initializer is float32") }
    }
}
