import Foundation
import Testing
@testable import ZWalkEngine

/// The README's operator list is the user's contract: it must name exactly what the registry runs.
@Suite struct RegistryTests {
    @Test func readmeListsExactlyTheRegisteredOperators() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        guard let start = text.range(of: "<!-- ops:begin -->"), let end = text.range(of: "<!-- ops:end -->") else {
            Issue.record("README.md has no <!-- ops:begin --> … <!-- ops:end --> block"); return
        }
        let listed = Set(text[start.upperBound..<end.lowerBound].split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," }).map(String.init))
        let registered = Set(OperatorRegistry.supportedOperators)
        #expect(listed.subtracting(registered).isEmpty, "in the README but not registered: \(listed.subtracting(registered).sorted())")
        #expect(registered.subtracting(listed).isEmpty, "registered but not in the README: \(registered.subtracting(listed).sorted())")
    }

    @Test func everyOperatorTheIssueNamesIsRegistered() {
        // The operators torch.onnx.export emits for the decoders zwalk targets (issue 2's list).
        let required = """
        Gemm MatMul Add Sub Mul Div Neg Pow Sqrt Reciprocal Exp Log Abs Relu LeakyRelu PRelu Elu Selu Celu
        Sigmoid HardSigmoid HardSwish Tanh Softplus Softsign Erf Gelu Mish Clip Min Max Where Equal Greater
        Less Not Reshape Flatten Squeeze Unsqueeze Transpose Concat Split Slice Gather Shape Size Constant
        ConstantOfShape Range Identity Cast Expand Tile Conv ConvTranspose BatchNormalization
        InstanceNormalization GroupNormalization LayerNormalization Upsample Resize DepthToSpace SpaceToDepth
        Pad MaxPool AveragePool GlobalAveragePool ReduceMean ReduceSum ReduceMax Softmax LogSoftmax Dropout
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        let missing = required.filter { OperatorRegistry.table[$0] == nil }
        #expect(missing.isEmpty, "missing: \(missing)")
    }
}
