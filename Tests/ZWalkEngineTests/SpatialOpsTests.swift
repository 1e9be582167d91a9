import Testing
@testable import ZWalkEngine
import TestSupport

// Golden rows: one single-node model per row, run by onnxruntime 1.32.0 (or, where marked,
// onnx 1.23.2's onnx.reference.ReferenceEvaluator) from the light venv /work/main/.venv, on the
// input x[i] = ((37·i) mod 23)/8 − 1.25 (`spatialInput`; int64 rows use x[i] = i − 3).

/// The input every golden row was generated with.
func spatialInput(_ shape: [Int]) -> [Float] {
    (0..<shape.reduce(1, *)).map { Float(($0 * 37) % 23) / 8 - 1.25 }
}

/// A tensor that may be empty (Tensor(shape:floats:) wants at least one element to copy).
func spatialTensor(_ v: [Float]) -> Tensor { v.isEmpty ? Tensor(dtype: .float32, shape: [0]) : Tensor(shape: [v.count], floats: v) }
func spatialTensor(ints v: [Int64]) -> Tensor { v.isEmpty ? Tensor(dtype: .int64, shape: [0]) : Tensor(shape: [v.count], ints: v) }

/// A one-node model: graph input "x" of a fixed shape, then the given constant inputs as
/// initializers (nil → the input is omitted, written "" as exporters do).
func spatialOpModel(op: String, opset: Int, attributes: [String: AttributeValue], x: [Int], xType: DType = .float32,
                    constants: [(String, Tensor?)]) -> Model {
    var inputs: [OneNodeInput] = [.runtime(name: "x", dtype: xType, shape: x)]
        + constants.map { name, value in value.map { .constant(name: name, value: $0) } ?? .omitted }
    // Trailing omitted inputs are left off, as exporters write them.
    while case .omitted? = inputs.last { inputs.removeLast() }
    return oneNodeModel(op, node: "n", inputs: inputs, attributes: attributes, opset: opset)
}

/// The load-time view of the same node, for calling a factory or a setup function directly.
func spatialContext(op: String, opset: Int, attributes: [String: AttributeValue], x: [Int], xType: DType = .float32,
                    constants: [(String, Tensor?)]) -> OpContext {
    let node = Node(name: "n", opType: op, inputs: ["x"] + constants.map { $0.1 == nil ? "" : $0.0 }, outputs: ["y"], attributes: attributes)
    let inputs: [PlannedValue?] = [PlannedValue(dtype: xType, shape: x)]
        + constants.map { c in c.1.map { PlannedValue(dtype: $0.dtype, shape: $0.shape, constant: $0) } }
    return OpContext(node: node, opset: opset, inputs: inputs)
}

func runSpatial(_ m: Model, _ x: Tensor) throws -> Tensor {
    let plan = try Planner(model: m).plan(batch: max(x.shape.first ?? 1, 1))
    return try plan.run([x])[0]
}

// MARK: - Resize and Upsample

struct SpatialResizeCase: Sendable, CustomTestStringConvertible {
    let name: String, op: String, opset: Int
    let attributes: [String: AttributeValue]
    let shape: [Int]
    let roi: [Float]?, scales: [Float]?, sizes: [Int64]?
    let outShape: [Int]
    let expected: [Float]
    var testDescription: String { name }

    init(_ name: String, _ op: String, _ opset: Int, _ attributes: [String: AttributeValue], _ shape: [Int],
         roi: [Float]?, scales: [Float]?, sizes: [Int64]?, _ outShape: [Int], _ expected: [Float]) {
        self.name = name; self.op = op; self.opset = opset; self.attributes = attributes; self.shape = shape
        self.roi = roi; self.scales = scales; self.sizes = sizes; self.outShape = outShape; self.expected = expected
    }

    /// Inputs after X as each opset lays them out.
    var constants: [(String, Tensor?)] {
        if op == "Upsample" && opset < 9 { return [] }
        if opset < 11 { return [("scales", scales.map { spatialTensor($0) })] }
        return [("roi", roi.map { spatialTensor($0) }), ("scales", scales.map { spatialTensor($0) }),
                ("sizes", sizes.map { spatialTensor(ints: $0) })]
    }
}

let spatialResizeCases: [SpatialResizeCase] = [
    SpatialResizeCase("nearest x2 asymmetric floor (fast path)", "Resize", 13, ["mode": .string("nearest"), "coordinate_transformation_mode": .string("asymmetric"), "nearest_mode": .string("floor")], [1, 2, 2, 3], roi: [], scales: [1, 1, 2, 2], sizes: nil,
        [1, 2, 4, 6], [-1.25, -1.25, 0.5, 0.5, -0.625, -0.625, -1.25, -1.25, 0.5, 0.5, -0.625, -0.625, 1.125, 1.125, 0, 0, -1.125, -1.125, 1.125, 1.125, 0, 0, -1.125, -1.125, 0.625, 0.625, -0.5, -0.5, 1.25, 1.25, 0.625, 0.625, -0.5, -0.5, 1.25, 1.25, 0.125, 0.125, -1, -1, 0.75, 0.75, 0.125, 0.125, -1, -1, 0.75, 0.75]), // onnxruntime
    SpatialResizeCase("nearest 2x3 half_pixel round_prefer_floor", "Resize", 13, ["mode": .string("nearest")], [1, 1, 2, 2], roi: nil, scales: [1, 1, 2, 3], sizes: nil,
        [1, 1, 4, 6], [-1.25, -1.25, -1.25, 0.5, 0.5, 0.5, -1.25, -1.25, -1.25, 0.5, 0.5, 0.5, -0.625, -0.625, -0.625, 1.125, 1.125, 1.125, -0.625, -0.625, -0.625, 1.125, 1.125, 1.125]), // onnxruntime
    SpatialResizeCase("nearest down 0.6 half_pixel", "Resize", 13, ["mode": .string("nearest")], [1, 1, 2, 4], roi: nil, scales: [1, 1, 0.6, 0.6], sizes: nil,
        [1, 1, 1, 2], [-1.25, -0.625]), // onnxruntime
    SpatialResizeCase("nearest sizes round_prefer_ceil asymmetric", "Resize", 13, ["mode": .string("nearest"), "coordinate_transformation_mode": .string("asymmetric"), "nearest_mode": .string("round_prefer_ceil")], [1, 1, 3, 3], roi: nil, scales: nil, sizes: [1, 1, 5, 7],
        [1, 1, 5, 7], [-1.25, -1.25, 0.5, 0.5, -0.625, -0.625, -0.625, 1.125, 1.125, 0, 0, -1.125, -1.125, -1.125, 1.125, 1.125, 0, 0, -1.125, -1.125, -1.125, 0.625, 0.625, -0.5, -0.5, 1.25, 1.25, 1.25, 0.625, 0.625, -0.5, -0.5, 1.25, 1.25, 1.25]), // onnxruntime
    SpatialResizeCase("nearest sizes floor align_corners", "Resize", 13, ["mode": .string("nearest"), "coordinate_transformation_mode": .string("align_corners"), "nearest_mode": .string("floor")], [1, 1, 3, 3], roi: nil, scales: nil, sizes: [1, 1, 5, 7],
        [1, 1, 5, 7], [-1.25, -1.25, -1.25, 0.5, 0.5, 0.5, -0.625, -1.25, -1.25, -1.25, 0.5, 0.5, 0.5, -0.625, 1.125, 1.125, 1.125, 0, 0, 0, -1.125, 1.125, 1.125, 1.125, 0, 0, 0, -1.125, 0.625, 0.625, 0.625, -0.5, -0.5, -0.5, 1.25]), // onnxruntime
    SpatialResizeCase("nearest sizes ceil half_pixel", "Resize", 13, ["mode": .string("nearest"), "coordinate_transformation_mode": .string("half_pixel"), "nearest_mode": .string("ceil")], [1, 1, 3, 3], roi: nil, scales: nil, sizes: [1, 1, 5, 7],
        [1, 1, 5, 7], [-1.25, 0.5, 0.5, 0.5, -0.625, -0.625, -0.625, 1.125, 0, 0, 0, -1.125, -1.125, -1.125, 1.125, 0, 0, 0, -1.125, -1.125, -1.125, 0.625, -0.5, -0.5, -0.5, 1.25, 1.25, 1.25, 0.625, -0.5, -0.5, -0.5, 1.25, 1.25, 1.25]), // onnxruntime
    SpatialResizeCase("nearest floor pytorch_half_pixel down", "Resize", 13, ["mode": .string("nearest"), "coordinate_transformation_mode": .string("pytorch_half_pixel"), "nearest_mode": .string("floor")], [1, 1, 1, 19], roi: nil, scales: [1, 1, 1, 0.6], sizes: nil,
        [1, 1, 1, 11], [-1.25, -0.625, 1.125, -1.125, 0.625, 1.25, -1, 0.75, 1.375, -0.875, -0.25]), // onnxruntime
    SpatialResizeCase("nearest 0.7 of 10 rounds in float32", "Resize", 13, ["mode": .string("nearest"), "coordinate_transformation_mode": .string("asymmetric")], [1, 10], roi: nil, scales: [1, 0.7], sizes: nil,
        [1, 7], [-1.25, 0.5, 1.125, 0, 0.625, -0.5, 0.125]), // onnxruntime
    SpatialResizeCase("nearest channel axis x2 (separable)", "Resize", 13, ["mode": .string("nearest")], [1, 2, 2, 2], roi: nil, scales: [1, 2, 1, 1], sizes: nil,
        [1, 4, 2, 2], [-1.25, 0.5, -0.625, 1.125, -1.25, 0.5, -0.625, 1.125, 0, -1.125, 0.625, -0.5, 0, -1.125, 0.625, -0.5]), // onnxruntime
    SpatialResizeCase("nearest tf_crop_and_resize extrapolation", "Resize", 13, ["mode": .string("nearest"), "coordinate_transformation_mode": .string("tf_crop_and_resize"), "extrapolation_value": .float(10)], [1, 1, 4, 4], roi: [0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7], scales: nil, sizes: [1, 1, 3, 3],
        [1, 1, 3, 3], [0.625, 10, 10, -1, 10, 10, 10, 10, 10]), // onnxruntime
    SpatialResizeCase("linear x2 half_pixel", "Resize", 13, ["mode": .string("linear")], [1, 1, 2, 3], roi: nil, scales: [1, 1, 2, 2], sizes: nil,
        [1, 1, 4, 6], [-1.25, -0.8125, 0.0625, 0.21875, -0.34375, -0.625, -0.65625, -0.3984375, 0.1171875, 0.09375, -0.46875, -0.75, 0.53125, 0.4296875, 0.2265625, -0.15625, -0.71875, -1, 1.125, 0.84375, 0.28125, -0.28125, -0.84375, -1.125]), // onnxruntime
    SpatialResizeCase("linear 1.5x0.6 half_pixel", "Resize", 13, ["mode": .string("linear")], [1, 2, 3, 5], roi: nil, scales: [1, 1, 1.5, 0.6], sizes: nil,
        [1, 2, 4, 3], [-0.66666675, -0.625, 0.37500018, -0.60416675, -0.5625, 0.43750018, -0.5208334, -0.4791667, 0.5208335, -0.43750006, -0.39583334, 0.60416687, -0.29166672, -0.25, 0.7500002, -0.22916672, -0.1875, 0.33333328, -0.14583337, -0.10416667, -0.06250026, -0.06250006, -0.020833343, 0.020833015]), // onnxruntime
    SpatialResizeCase("linear align_corners sizes", "Resize", 13, ["mode": .string("linear"), "coordinate_transformation_mode": .string("align_corners")], [1, 1, 3, 3], roi: nil, scales: nil, sizes: [1, 1, 5, 4],
        [1, 1, 5, 4], [-1.25, -0.08333328, 0.124999955, -0.625, -0.0625, 0.14583334, -0.12500006, -0.875, 1.125, 0.37499997, -0.37500006, -1.125, 0.875, 0.124999955, -0.14583333, 0.0625, 0.625, -0.12500003, 0.0833334, 1.25]), // onnxruntime
    SpatialResizeCase("linear asymmetric 1.7", "Resize", 13, ["mode": .string("linear"), "coordinate_transformation_mode": .string("asymmetric")], [1, 1, 2, 4], roi: nil, scales: [1, 1, 1.7, 1.7], sizes: nil,
        [1, 1, 3, 6], [-1.25, -0.22058827, 0.30147067, -0.36029398, -0.0073531866, 1.0220587, -0.5147059, -0.4801038, -0.3559689, -0.022923976, 0.13105533, 0.16565749, 0, -0.6617647, -0.81617653, 0.21323508, 0.22794133, -0.43382347]), // onnxruntime
    SpatialResizeCase("linear pytorch_half_pixel to one row", "Resize", 13, ["mode": .string("linear"), "coordinate_transformation_mode": .string("pytorch_half_pixel")], [1, 1, 4, 4], roi: nil, scales: nil, sizes: [1, 1, 1, 3],
        [1, 1, 1, 3], [-0.95833325, -0.0625, 0.83333313]), // onnxruntime
    SpatialResizeCase("linear half_pixel_symmetric", "Resize", 19, ["mode": .string("linear"), "coordinate_transformation_mode": .string("half_pixel_symmetric")], [1, 1, 2, 4], roi: nil, scales: [1, 1, 2.3, 0.65], sizes: nil,
        [1, 1, 4, 2], [0.028846115, -0.15384603, -0.21164301, -0.019335214, -0.58162624, 0.1876045, -0.82211536, 0.3221153]), // onnxruntime
    SpatialResizeCase("linear tf_crop_and_resize extrapolation", "Resize", 13, ["mode": .string("linear"), "coordinate_transformation_mode": .string("tf_crop_and_resize"), "extrapolation_value": .float(10)], [1, 1, 4, 4], roi: [0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7], scales: nil, sizes: [1, 1, 3, 3],
        [1, 1, 3, 3], [0.06500004, 10, 10, -0.27499998, 10, 10, 10, 10, 10]), // onnxruntime
    SpatialResizeCase("linear rank 3 last axis", "Resize", 13, ["mode": .string("linear")], [2, 2, 3], roi: nil, scales: [1, 1, 2.5], sizes: nil,
        [2, 2, 7], [-1.25, -1.075, -0.375, 0.32499996, 0.16250005, -0.28750005, -0.625, 1.125, 1.0124999, 0.5625, 0.11250003, -0.33749995, -0.7875, -1.125, 0.625, 0.51250005, 0.0625, -0.3875, 0.024999917, 0.7250001, 1.25, 0.125, 0.012499973, -0.4375, -0.8874999, -0.47500014, 0.22500008, 0.75]), // onnxruntime
    SpatialResizeCase("trilinear incl. channels", "Resize", 13, ["mode": .string("linear")], [1, 2, 2, 3], roi: nil, scales: [1, 1.5, 2, 1], sizes: nil,
        [1, 3, 4, 3], [-1.25, 0.5, -0.625, -0.65625, 0.375, -0.75, 0.53125, 0.125, -1, 1.125, 0, -1.125, -0.3125, 0, 0.3125, -0.078125, -0.125, 0.1875, 0.390625, -0.375, -0.0625, 0.625, -0.5, -0.1875, 0.625, -0.5, 1.25, 0.5, -0.625, 1.125, 0.25, -0.875, 0.875, 0.125, -1, 0.75]), // onnxruntime
    SpatialResizeCase("linear align_corners fractional (ONNX reference)", "Resize", 13, ["mode": .string("linear"), "coordinate_transformation_mode": .string("align_corners")], [1, 1, 2, 4], roi: nil, scales: [1, 1, 0.6, 0.6], sizes: nil,
        [1, 1, 1, 2], [-1.25, -0.37500027]), // ReferenceEvaluator
    SpatialResizeCase("cubic half_pixel", "Resize", 13, ["mode": .string("cubic")], [1, 1, 4, 4], roi: nil, scales: [1, 1, 2, 1.5], sizes: nil,
        [1, 1, 8, 6], [-1.5600677, -0.22132874, 0.6089958, -0.69444406, 0.13587952, 1.4746177, -1.1061101, -0.4264984, 0.11247057, -0.2987188, 0.17918396, 0.7994842, -0.37392527, -0.7832794, -0.7151068, 0.3712039, 0.2561798, -0.33110708, 0.6049197, -0.42390442, -0.97695607, 0.1756455, 0.13825989, -0.38971615, 1.3148808, 0.45240784, -0.55597126, -0.80572283, -0.104263306, 0.69396955, 1.0547862, 0.91075134, 0.26961118, -0.8131188, -0.32115173, 0.6353605, -0.058258094, 0.70137024, 1.0616132, 0.1370458, -0.3915558, -0.49523073, -0.72461814, 0.58569336, 1.548404, 0.7029179, -0.43774414, -1.1703643]), // onnxruntime
    SpatialResizeCase("cubic down 0.8", "Resize", 13, ["mode": .string("cubic")], [1, 1, 5, 5], roi: nil, scales: [1, 1, 0.8, 0.8], sizes: nil,
        [1, 1, 4, 4], [-1.0438232, 0.18328857, 0.555603, 0.14727783, -0.8800659, 0.3470459, 0.71936035, 0.31103516, -0.73114014, 0.47515103, 1.1050246, 0.4962043, -0.5673828, 0.8294405, -0.8976382, 0.3282947]), // onnxruntime
    SpatialResizeCase("cubic A=-0.5 exclude_outside", "Resize", 13, ["mode": .string("cubic"), "cubic_coeff_a": .float(-0.5), "exclude_outside": .int(1)], [1, 1, 4, 4], roi: nil, scales: [1, 1, 2, 2], sizes: nil,
        [1, 1, 8, 8], [-1.5370891, -0.94984436, 0.2945386, 0.45726103, -0.5491728, -0.38645044, 0.8579325, 1.4451773, -1.1464148, -0.80026907, -0.06690535, 0.11726589, -0.29931998, -0.1349878, 0.5613045, 0.88994724, -0.31948814, -0.48402244, -0.83306634, -0.6031056, 0.23040166, 0.39811927, -0.06723269, -0.2866805, 0.5029297, 0.08526744, -0.79993147, -0.81895447, 0.09043884, 0.2979112, -0.16405536, -0.38189334, 1.2626954, 0.88536435, 0.08636987, -0.47962952, -0.75645447, -0.4730961, 0.3150305, 0.6870404, 1.0192524, 0.9123879, 0.6866077, 0.15387943, -0.6699219, -0.63554716, 0.1983688, 0.5918275, -0.14550233, 0.21534844, 0.98014295, 1.020629, 0.28303206, -0.21874826, -0.46723992, -0.58480036, -0.6951773, -0.11348755, 1.1190223, 1.4299748, 0.7327091, -0.022199154, -0.7813708, -1.1400303]), // onnxruntime
    SpatialResizeCase("cubic align_corners sizes", "Resize", 13, ["mode": .string("cubic"), "coordinate_transformation_mode": .string("align_corners")], [1, 1, 3, 4], roi: nil, scales: nil, sizes: [1, 1, 5, 6],
        [1, 1, 5, 6], [-1.25, -0.057499617, 0.4280002, -0.5530003, -0.067499936, 1.125, -0.7421875, -0.6137967, -0.29828116, 0.053281017, 0.23187512, 0.1953125, 0, -0.87750006, -0.89800006, 0.39799985, 0.37750018, -0.5, 0.7421875, -0.17412521, -0.6848124, -0.21034357, 0.00921892, -0.02734375, 1.25, 0.68299973, -0.22299983, -0.9969995, -0.44249985, 0.75]), // onnxruntime
    SpatialResizeCase("cubic asymmetric", "Resize", 13, ["mode": .string("cubic"), "coordinate_transformation_mode": .string("asymmetric")], [1, 1, 3, 3], roi: nil, scales: [1, 1, 2, 2], sizes: nil,
        [1, 1, 6, 6], [-1.25, -0.26953125, 0.5, 0.1015625, -0.625, -0.73046875, -0.015625, 0.2713623, 0.296875, -0.37109375, -1.0976562, -1.2283936, 1.125, 0.66796875, 0, -0.66796875, -1.125, -1.2304688, 1.0976562, 0.37109375, -0.296875, -0.2713623, 0.015625, 0.044921875, 0.625, -0.1015625, -0.5, 0.26953125, 1.25, 1.4140625, 0.578125, -0.17370605, -0.546875, 0.35742188, 1.4726562, 1.6619873]), // onnxruntime
    SpatialResizeCase("linear antialias 0.6", "Resize", 18, ["mode": .string("linear"), "antialias": .int(1)], [1, 1, 5, 6], roi: nil, scales: [1, 1, 0.6, 0.5], sizes: nil,
        [1, 1, 3, 3], [-0.2167969, 0.27929688, -0.25781253, 0.4392361, 0.1267361, -0.06597222, 0.39648443, 0.17382811, -0.27343753]), // onnxruntime
    SpatialResizeCase("cubic antialias sizes", "Resize", 18, ["mode": .string("cubic"), "antialias": .int(1)], [1, 1, 6, 7], roi: nil, scales: nil, sizes: [1, 1, 3, 3],
        [1, 1, 3, 3], [-0.11683716, 0.16175814, 0.16630246, -0.004346842, 0.12500001, 0.2543468, 0.08369757, 0.08824187, 0.36683723]), // onnxruntime
    SpatialResizeCase("linear antialias exclude_outside", "Resize", 18, ["mode": .string("linear"), "antialias": .int(1), "exclude_outside": .int(1)], [1, 1, 5, 6], roi: nil, scales: [1, 1, 0.4, 0.7], sizes: nil,
        [1, 1, 2, 4], [-0.0056818277, 0.31144783, 0.1620235, -0.1903409, 0.552666, 0.19907409, 0.10117303, -0.2954545]), // onnxruntime
    SpatialResizeCase("nearest axes [3, 2] sizes", "Resize", 18, ["mode": .string("nearest"), "axes": .ints([3, 2])], [1, 1, 2, 2], roi: nil, scales: nil, sizes: [3, 4],
        [1, 1, 4, 3], [-1.25, -1.25, 0.5, -1.25, -1.25, 0.5, -0.625, -0.625, 1.125, -0.625, -0.625, 1.125]), // onnxruntime
    SpatialResizeCase("linear keep_aspect not_larger", "Resize", 18, ["mode": .string("linear"), "keep_aspect_ratio_policy": .string("not_larger"), "axes": .ints([2, 3])], [1, 1, 2, 4], roi: nil, scales: nil, sizes: [7, 6],
        [1, 1, 3, 6], [-1.25, -0.375, 0.31250006, -0.43749988, 0.25, 1.125, -0.625, -0.46875, -0.2604167, -0.052083373, 0.15625, 0.3125, 0, -0.5625, -0.83333343, 0.33333316, 0.0625, -0.5]), // onnxruntime
    SpatialResizeCase("nearest keep_aspect not_smaller", "Resize", 18, ["mode": .string("nearest"), "keep_aspect_ratio_policy": .string("not_smaller")], [1, 1, 2, 4], roi: nil, scales: nil, sizes: [1, 1, 3, 3],
        [2, 2, 3, 6], [-1.25, -1.25, 0.5, -0.625, -0.625, 1.125, -1.25, -1.25, 0.5, -0.625, -0.625, 1.125, 0, 0, -1.125, 0.625, 0.625, -0.5, -1.25, -1.25, 0.5, -0.625, -0.625, 1.125, -1.25, -1.25, 0.5, -0.625, -0.625, 1.125, 0, 0, -1.125, 0.625, 0.625, -0.5, -1.25, -1.25, 0.5, -0.625, -0.625, 1.125, -1.25, -1.25, 0.5, -0.625, -0.625, 1.125, 0, 0, -1.125, 0.625, 0.625, -0.5, -1.25, -1.25, 0.5, -0.625, -0.625, 1.125, -1.25, -1.25, 0.5, -0.625, -0.625, 1.125, 0, 0, -1.125, 0.625, 0.625, -0.5]), // onnxruntime
    SpatialResizeCase("Resize-10 nearest down 0.6", "Resize", 10, ["mode": .string("nearest")], [1, 1, 1, 10], roi: nil, scales: [1, 1, 1, 0.6], sizes: nil,
        [1, 1, 1, 6], [-1.25, -0.625, 0, -1.125, -0.5, 0.125]), // onnxruntime
    SpatialResizeCase("Resize-10 nearest up 1.5", "Resize", 10, ["mode": .string("nearest")], [1, 1, 2, 4], roi: nil, scales: [1, 1, 1.5, 1.5], sizes: nil,
        [1, 1, 3, 6], [-1.25, -1.25, 0.5, -0.625, -0.625, 1.125, -1.25, -1.25, 0.5, -0.625, -0.625, 1.125, 0, 0, -1.125, 0.625, 0.625, -0.5]), // onnxruntime
    SpatialResizeCase("Resize-10 linear", "Resize", 10, ["mode": .string("linear")], [1, 1, 2, 4], roi: nil, scales: [1, 1, 2, 0.6], sizes: nil,
        [1, 1, 4, 2], [-1.25, -0.24999994, -0.625, -0.10416669, 0, 0.041666567, 0, 0.041666567]), // onnxruntime
    SpatialResizeCase("Upsample-9 nearest", "Upsample", 9, ["mode": .string("nearest")], [1, 1, 2, 2], roi: nil, scales: [1, 1, 2, 3], sizes: nil,
        [1, 1, 4, 6], [-1.25, -1.25, -1.25, 0.5, 0.5, 0.5, -1.25, -1.25, -1.25, 0.5, 0.5, 0.5, -0.625, -0.625, -0.625, 1.125, 1.125, 1.125, -0.625, -0.625, -0.625, 1.125, 1.125, 1.125]), // onnxruntime
    SpatialResizeCase("Upsample-9 linear", "Upsample", 9, ["mode": .string("linear")], [1, 1, 2, 3], roi: nil, scales: [1, 1, 2, 1.5], sizes: nil,
        [1, 1, 4, 4], [-1.25, -0.08333328, 0.124999955, -0.625, -0.0625, 0.14583334, -0.12500006, -0.875, 1.125, 0.37499997, -0.37500006, -1.125, 1.125, 0.37499997, -0.37500006, -1.125]), // onnxruntime
    SpatialResizeCase("Upsample-7 nearest (attribute)", "Upsample", 7, ["mode": .string("nearest"), "scales": .floats([1, 1, 3, 2])], [1, 1, 2, 2], roi: nil, scales: nil, sizes: nil,
        [1, 1, 6, 4], [-1.25, -1.25, 0.5, 0.5, -1.25, -1.25, 0.5, 0.5, -1.25, -1.25, 0.5, 0.5, -0.625, -0.625, 1.125, 1.125, -0.625, -0.625, 1.125, 1.125, -0.625, -0.625, 1.125, 1.125]), // onnxruntime
]

// MARK: - Pad

struct SpatialPadCase: Sendable, CustomTestStringConvertible {
    let name: String, opset: Int
    let attributes: [String: AttributeValue]
    let shape: [Int]
    let pads: [Int64]?, value: Float?, axes: [Int64]?, int: Bool
    let outShape: [Int]
    let expected: [Float]
    var testDescription: String { name }

    init(_ name: String, _ opset: Int, _ attributes: [String: AttributeValue], _ shape: [Int], pads: [Int64]?, value: Float?,
         axes: [Int64]?, int: Bool, _ outShape: [Int], _ expected: [Float]) {
        self.name = name; self.opset = opset; self.attributes = attributes; self.shape = shape; self.pads = pads
        self.value = value; self.axes = axes; self.int = int; self.outShape = outShape; self.expected = expected
    }

    var constants: [(String, Tensor?)] {
        if opset < 11 { return [] }
        let v: Tensor? = value.map { int ? Tensor.scalar(int: Int64($0)) : Tensor.scalar($0) }
        return [("pads", pads.map { spatialTensor(ints: $0) }), ("value", v), ("axes", axes.map { spatialTensor(ints: $0) })]
    }
}

let spatialPadCases: [SpatialPadCase] = [
    SpatialPadCase("constant with value", 13, ["mode": .string("constant")], [1, 2, 2, 3], pads: [0, 0, 1, 2, 0, 0, 2, 1], value: 1.5, axes: nil, int: false,
        [1, 2, 5, 6], [1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, -1.25, 0.5, -0.625, 1.5, 1.5, 1.5, 1.125, 0, -1.125, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 0.625, -0.5, 1.25, 1.5, 1.5, 1.5, 0.125, -1, 0.75, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5]), // onnxruntime
    SpatialPadCase("constant default zero", 13, [:], [2, 3], pads: [1, 0, 0, 2], value: nil, axes: nil, int: false,
        [3, 5], [0, 0, 0, 0, 0, -1.25, 0.5, -0.625, 0, 0, 1.125, 0, -1.125, 0, 0]), // onnxruntime
    SpatialPadCase("reflect", 13, ["mode": .string("reflect")], [1, 1, 3, 4], pads: [0, 0, 2, 3, 0, 0, 1, 2], value: nil, axes: nil, int: false,
        [1, 1, 6, 9], [0.75, -1, 0.125, 1.25, 0.125, -1, 0.75, -1, 0.125, -0.5, 0.625, -1.125, 0, -1.125, 0.625, -0.5, 0.625, -1.125, 1.125, -0.625, 0.5, -1.25, 0.5, -0.625, 1.125, -0.625, 0.5, -0.5, 0.625, -1.125, 0, -1.125, 0.625, -0.5, 0.625, -1.125, 0.75, -1, 0.125, 1.25, 0.125, -1, 0.75, -1, 0.125, -0.5, 0.625, -1.125, 0, -1.125, 0.625, -0.5, 0.625, -1.125]), // onnxruntime
    SpatialPadCase("edge", 13, ["mode": .string("edge")], [1, 1, 3, 4], pads: [0, 0, 2, 3, 0, 0, 1, 2], value: nil, axes: nil, int: false,
        [1, 1, 6, 9], [-1.25, -1.25, -1.25, -1.25, 0.5, -0.625, 1.125, 1.125, 1.125, -1.25, -1.25, -1.25, -1.25, 0.5, -0.625, 1.125, 1.125, 1.125, -1.25, -1.25, -1.25, -1.25, 0.5, -0.625, 1.125, 1.125, 1.125, 0, 0, 0, 0, -1.125, 0.625, -0.5, -0.5, -0.5, 1.25, 1.25, 1.25, 1.25, 0.125, -1, 0.75, 0.75, 0.75, 1.25, 1.25, 1.25, 1.25, 0.125, -1, 0.75, 0.75, 0.75]), // onnxruntime
    SpatialPadCase("wrap", 19, ["mode": .string("wrap")], [1, 1, 3, 4], pads: [0, 0, 2, 3, 0, 0, 1, 2], value: nil, axes: nil, int: false,
        [1, 1, 6, 9], [-1.125, 0.625, -0.5, 0, -1.125, 0.625, -0.5, 0, -1.125, 0.125, -1, 0.75, 1.25, 0.125, -1, 0.75, 1.25, 0.125, 0.5, -0.625, 1.125, -1.25, 0.5, -0.625, 1.125, -1.25, 0.5, -1.125, 0.625, -0.5, 0, -1.125, 0.625, -0.5, 0, -1.125, 0.125, -1, 0.75, 1.25, 0.125, -1, 0.75, 1.25, 0.125, 0.5, -0.625, 1.125, -1.25, 0.5, -0.625, 1.125, -1.25, 0.5]), // onnxruntime
    SpatialPadCase("negative pads crop", 13, ["mode": .string("constant")], [1, 1, 4, 5], pads: [0, 0, -1, 2, 0, 0, 1, -2], value: 9, axes: nil, int: false,
        [1, 1, 4, 5], [9, 9, -1.125, 0.625, -0.5, 9, 9, -1, 0.75, -0.375, 9, 9, -0.875, 0.875, -0.25, 9, 9, 9, 9, 9]), // onnxruntime
    SpatialPadCase("reflect with crop", 13, ["mode": .string("reflect")], [1, 1, 4, 5], pads: [0, 0, -1, 2, 0, 0, 1, -1], value: nil, axes: nil, int: false,
        [1, 1, 4, 6], [-0.5, 0.625, -1.125, 0.625, -0.5, 1.25, -0.375, 0.75, -1, 0.75, -0.375, 1.375, -0.25, 0.875, -0.875, 0.875, -0.25, 1.5, -0.375, 0.75, -1, 0.75, -0.375, 1.375]), // onnxruntime
    SpatialPadCase("edge with crop", 13, ["mode": .string("edge")], [1, 1, 4, 5], pads: [0, 0, 2, -2, 0, 0, -1, 3], value: nil, axes: nil, int: false,
        [1, 1, 5, 6], [-0.625, 1.125, 0, 0, 0, 0, -0.625, 1.125, 0, 0, 0, 0, -0.625, 1.125, 0, 0, 0, 0, -0.5, 1.25, 0.125, 0.125, 0.125, 0.125, -0.375, 1.375, 0.25, 0.25, 0.25, 0.25]), // onnxruntime
    SpatialPadCase("axes (opset 18)", 18, ["mode": .string("constant")], [1, 2, 3, 3], pads: [1, 2, 0, 1], value: -3, axes: [2, -1], int: false,
        [1, 2, 4, 6], [-3, -3, -3, -3, -3, -3, -3, -3, -1.25, 0.5, -0.625, -3, -3, -3, 1.125, 0, -1.125, -3, -3, -3, 0.625, -0.5, 1.25, -3, -3, -3, -3, -3, -3, -3, -3, -3, 0.125, -1, 0.75, -3, -3, -3, -0.375, 1.375, 0.25, -3, -3, -3, -0.875, 0.875, -0.25, -3]), // onnxruntime
    SpatialPadCase("reflect larger than input (numpy)", 18, ["mode": .string("reflect")], [2, 3], pads: [0, 5, 0, 4], value: nil, axes: nil, int: false,
        [2, 12], [0.5, -1.25, 0.5, -0.625, 0.5, -1.25, 0.5, -0.625, 0.5, -1.25, 0.5, -0.625, 0, 1.125, 0, -1.125, 0, 1.125, 0, -1.125, 0, 1.125, 0, -1.125]), // ReferenceEvaluator
    SpatialPadCase("wrap larger than input (numpy)", 19, ["mode": .string("wrap")], [2, 3], pads: [0, 4, 0, 7], value: nil, axes: nil, int: false,
        [2, 14], [-0.625, -1.25, 0.5, -0.625, -1.25, 0.5, -0.625, -1.25, 0.5, -0.625, -1.25, 0.5, -0.625, -1.25, -1.125, 1.125, 0, -1.125, 1.125, 0, -1.125, 1.125, 0, -1.125, 1.125, 0, -1.125, 1.125]), // ReferenceEvaluator
    SpatialPadCase("Pad-2 attributes", 2, ["mode": .string("constant"), "pads": .ints([0, 1, 1, 0]), "value": .float(0.25)], [2, 3], pads: nil, value: nil, axes: nil, int: false,
        [3, 4], [0.25, -1.25, 0.5, -0.625, 0.25, 1.125, 0, -1.125, 0.25, 0.25, 0.25, 0.25]), // onnxruntime
    SpatialPadCase("Pad-2 reflect", 2, ["mode": .string("reflect"), "pads": .ints([1, 2, 1, 2])], [3, 3], pads: nil, value: nil, axes: nil, int: false,
        [5, 7], [-1.125, 0, 1.125, 0, -1.125, 0, 1.125, -0.625, 0.5, -1.25, 0.5, -0.625, 0.5, -1.25, -1.125, 0, 1.125, 0, -1.125, 0, 1.125, 1.25, -0.5, 0.625, -0.5, 1.25, -0.5, 0.625, -1.125, 0, 1.125, 0, -1.125, 0, 1.125]), // onnxruntime
    SpatialPadCase("int64 constant", 13, ["mode": .string("constant")], [2, 3], pads: [1, 1, 0, 1], value: 7, axes: nil, int: true,
        [3, 5], [7, 7, 7, 7, 7, 7, -3, -2, -1, 7, 7, 0, 1, 2, 7]), // onnxruntime
    SpatialPadCase("int64 edge", 13, ["mode": .string("edge")], [2, 3], pads: [0, 2, 1, 0], value: nil, axes: nil, int: true,
        [3, 5], [-3, -3, -3, -2, -1, 0, 0, 0, 1, 2, 0, 0, 0, 1, 2]), // onnxruntime
    SpatialPadCase("rank 1 reflect", 13, ["mode": .string("reflect")], [5], pads: [3, 2], value: nil, axes: nil, int: false,
        [10], [1.125, -0.625, 0.5, -1.25, 0.5, -0.625, 1.125, 0, 1.125, -0.625]), // onnxruntime
]

// MARK: - DepthToSpace / SpaceToDepth

struct SpatialBlockCase: Sendable, CustomTestStringConvertible {
    let name: String, op: String, opset: Int
    let attributes: [String: AttributeValue]
    let shape: [Int]
    let outShape: [Int]
    let expected: [Float]
    var testDescription: String { name }

    init(_ name: String, _ op: String, _ opset: Int, _ attributes: [String: AttributeValue], _ shape: [Int],
         _ outShape: [Int], _ expected: [Float]) {
        self.name = name; self.op = op; self.opset = opset; self.attributes = attributes; self.shape = shape
        self.outShape = outShape; self.expected = expected
    }
}

let spatialBlockCases: [SpatialBlockCase] = [
    SpatialBlockCase("DepthToSpace DCR b2", "DepthToSpace", 13, ["blocksize": .int(2), "mode": .string("DCR")], [1, 8, 2, 3],
        [1, 2, 4, 6], [-1.25, -0.375, 0.5, 1.375, -0.625, 0.25, 0.5, 1.375, -0.625, 0.25, 1.125, -0.875, 1.125, -0.875, 0, 0.875, -1.125, -0.25, 0, 0.875, -1.125, -0.25, 0.625, 1.5, 0.625, 1.5, -0.5, 0.375, 1.25, -0.75, -0.5, 0.375, 1.25, -0.75, 0.125, 1, 0.125, 1, -1, -0.125, 0.75, -1.25, -1, -0.125, 0.75, -1.25, -0.375, 0.5]), // onnxruntime
    SpatialBlockCase("DepthToSpace CRD b2", "DepthToSpace", 13, ["blocksize": .int(2), "mode": .string("CRD")], [1, 8, 2, 3],
        [1, 2, 4, 6], [-1.25, 0.625, 0.5, -0.5, -0.625, 1.25, -0.375, 1.5, 1.375, 0.375, 0.25, -0.75, 1.125, 0.125, 0, -1, -1.125, 0.75, -0.875, 1, 0.875, -0.125, -0.25, -1.25, 0.5, -0.5, -0.625, 1.25, 1.125, 0.125, 1.375, 0.375, 0.25, -0.75, -0.875, 1, 0, -1, -1.125, 0.75, 0.625, -0.375, 0.875, -0.125, -0.25, -1.25, 1.5, 0.5]), // onnxruntime
    SpatialBlockCase("DepthToSpace default mode b3 batch 2", "DepthToSpace", 13, ["blocksize": .int(3)], [2, 9, 1, 2],
        [2, 1, 3, 6], [-1.25, -0.625, 0, 0.5, 1.125, -1.125, 0.625, 1.25, -1, -0.5, 0.125, 0.75, -0.375, 0.25, 0.875, 1.375, -0.875, -0.25, 1.5, -0.75, -0.125, 0.375, 1, -1.25, 0.5, 1.125, -1.125, -0.625, 0, 0.625, -0.5, 0.125, 0.75, 1.25, -1, -0.375]), // onnxruntime
    SpatialBlockCase("DepthToSpace-1 (no mode)", "DepthToSpace", 1, ["blocksize": .int(2)], [1, 4, 2, 2],
        [1, 1, 4, 4], [-1.25, 0, 0.5, -1.125, 1.25, -0.375, 0.125, 1.375, -0.625, 0.625, 1.125, -0.5, -1, 0.25, 0.75, -0.875]), // onnxruntime
    SpatialBlockCase("SpaceToDepth b2", "SpaceToDepth", 13, ["blocksize": .int(2)], [1, 2, 4, 6],
        [1, 8, 2, 3], [-1.25, -0.625, 0, -0.375, 0.25, 0.875, 0.5, 1.125, -1.125, 1.375, -0.875, -0.25, 0.5, 1.125, -1.125, 1.375, -0.875, -0.25, -0.625, 0, 0.625, 0.25, 0.875, 1.5, 0.625, 1.25, -1, 1.5, -0.75, -0.125, -0.5, 0.125, 0.75, 0.375, 1, -1.25, -0.5, 0.125, 0.75, 0.375, 1, -1.25, 1.25, -1, -0.375, -0.75, -0.125, 0.5]), // onnxruntime
    SpatialBlockCase("SpaceToDepth b3 batch 2", "SpaceToDepth", 13, ["blocksize": .int(3)], [2, 1, 3, 6],
        [2, 9, 1, 2], [-1.25, 1.125, 0.5, 0, -0.625, -1.125, 0.625, 0.125, -0.5, -1, 1.25, 0.75, -0.375, -0.875, 1.375, 0.875, 0.25, -0.25, 1.5, 1, 0.375, -0.125, -0.75, -1.25, 0.5, 0, -0.625, -1.125, 1.125, 0.625, -0.5, -1, 1.25, 0.75, 0.125, -0.375]), // onnxruntime
]

@Suite struct SpatialGoldenTests {
    @Test(arguments: spatialResizeCases)
    func resizeMatchesOnnxruntime(_ c: SpatialResizeCase) throws {
        let m = spatialOpModel(op: c.op, opset: c.opset, attributes: c.attributes, x: c.shape, constants: c.constants)
        let x = Tensor(shape: c.shape, floats: spatialInput(c.shape))
        let y = try runSpatial(m, x)
        #expect(y.shape == c.outShape)
        let cmp = compare(y.doubleArray, c.expected.map(Double.init), rtol: 1e-5, atol: 1e-5)
        #expect(cmp.ok, "\(cmp)")
        // The naive reference must agree with the golden values too: it is what the fast paths
        // are held to on shapes no golden row covers.
        let ctx = spatialContext(op: c.op, opset: c.opset, attributes: c.attributes, x: c.shape, constants: c.constants)
        let setup = c.op == "Resize" ? try ResizeOps.resizeSetup(ctx) : try ResizeOps.upsampleSetup(ctx)
        let naive = compare(ResizeOps.resampleNaive(setup, x).doubleArray, c.expected.map(Double.init), rtol: 1e-5, atol: 1e-5)
        #expect(naive.ok, "naive: \(naive)")
    }

    @Test(arguments: spatialPadCases)
    func padMatchesOnnxruntime(_ c: SpatialPadCase) throws {
        let m = spatialOpModel(op: "Pad", opset: c.opset, attributes: c.attributes, x: c.shape, xType: c.int ? .int64 : .float32,
                               constants: c.constants)
        let n = c.shape.reduce(1, *)
        let x = c.int ? Tensor(shape: c.shape, ints: (0..<n).map { Int64($0) - 3 }) : Tensor(shape: c.shape, floats: spatialInput(c.shape))
        let y = try runSpatial(m, x)
        #expect(y.shape == c.outShape)
        #expect(y.dtype == x.dtype)
        let cmp = compare(y.doubleArray, c.expected.map(Double.init), rtol: 0, atol: 0)
        #expect(cmp.ok, "\(cmp)")
    }

    @Test(arguments: spatialBlockCases)
    func blockOpsMatchOnnxruntime(_ c: SpatialBlockCase) throws {
        let m = spatialOpModel(op: c.op, opset: c.opset, attributes: c.attributes, x: c.shape, constants: [])
        let y = try runSpatial(m, Tensor(shape: c.shape, floats: spatialInput(c.shape)))
        #expect(y.shape == c.outShape)
        let cmp = compare(y.doubleArray, c.expected.map(Double.init), rtol: 0, atol: 0)
        #expect(cmp.ok, "\(cmp)")
    }
}

// MARK: - fast paths against the naive reference, on awkward shapes

struct SpatialResampleCase: Sendable, CustomTestStringConvertible {
    let name: String
    let opset: Int
    let attributes: [String: AttributeValue]
    let shape: [Int]
    let scales: [Float]?, sizes: [Int64]?, roi: [Float]?
    let path: ResizeOps.ResamplePath
    var testDescription: String { name }
}

let spatialResampleCases: [SpatialResampleCase] = [
    .init(name: "nearest ×2 asymmetric floor (torch export)", opset: 17,
          attributes: ["mode": .string("nearest"), "coordinate_transformation_mode": .string("asymmetric"), "nearest_mode": .string("floor")],
          shape: [2, 3, 5, 7], scales: [1, 1, 2, 2], sizes: nil, roi: [], path: .nearestInner(factor: 2)),
    .init(name: "nearest ×2 half_pixel default rounding", opset: 13, attributes: ["mode": .string("nearest")],
          shape: [4, 16, 9, 11], scales: [1, 1, 2, 2], sizes: nil, roi: nil, path: .nearestInner(factor: 2)),
    .init(name: "nearest ×3", opset: 13, attributes: ["mode": .string("nearest")],
          shape: [1, 2, 3, 4], scales: [1, 1, 3, 3], sizes: nil, roi: nil, path: .nearestInner(factor: 3)),
    .init(name: "nearest 1.5 × 0.7", opset: 13, attributes: ["mode": .string("nearest")],
          shape: [2, 3, 7, 9], scales: [1, 1, 1.5, 0.7], sizes: nil, roi: nil, path: .nearestInner(factor: nil)),
    .init(name: "nearest rows only", opset: 13, attributes: ["mode": .string("nearest")],
          shape: [1, 3, 4, 5], scales: [1, 1, 2, 1], sizes: nil, roi: nil, path: .nearestInner(factor: 1)),
    .init(name: "nearest rank 1", opset: 13, attributes: ["mode": .string("nearest")],
          shape: [7], scales: [2.5], sizes: nil, roi: nil, path: .nearestInner(factor: nil)),
    .init(name: "nearest outer axes (separable)", opset: 13, attributes: ["mode": .string("nearest")],
          shape: [3, 2, 5], scales: [2, 1, 1.5], sizes: nil, roi: nil, path: .separable),
    .init(name: "identity scales", opset: 13, attributes: ["mode": .string("linear")],
          shape: [1, 2, 3, 4], scales: [1, 1, 1, 1], sizes: nil, roi: nil, path: .identity),
    .init(name: "bilinear ×2 many planes", opset: 13, attributes: ["mode": .string("linear")],
          shape: [4, 16, 9, 11], scales: [1, 1, 2, 2], sizes: nil, roi: nil, path: .separable),
    .init(name: "bilinear 1.6 × 2.3", opset: 13, attributes: ["mode": .string("linear")],
          shape: [2, 3, 7, 9], scales: [1, 1, 1.6, 2.3], sizes: nil, roi: nil, path: .separable),
    .init(name: "linear rank 5, three axes", opset: 13, attributes: ["mode": .string("linear"), "coordinate_transformation_mode": .string("align_corners")],
          shape: [1, 2, 3, 4, 5], scales: [1, 1, 2, 0.5, 1.5], sizes: nil, roi: nil, path: .separable),
    .init(name: "cubic sizes", opset: 13, attributes: ["mode": .string("cubic")],
          shape: [1, 2, 6, 5], scales: nil, sizes: [1, 2, 11, 3], roi: nil, path: .separable),
    .init(name: "cubic antialias 0.3 × 0.45", opset: 18, attributes: ["mode": .string("cubic"), "antialias": .int(1)],
          shape: [1, 1, 19, 23], scales: [1, 1, 0.3, 0.45], sizes: nil, roi: nil, path: .separable),
    .init(name: "linear tf_crop_and_resize extrapolation", opset: 13,
          attributes: ["mode": .string("linear"), "coordinate_transformation_mode": .string("tf_crop_and_resize"), "extrapolation_value": .float(-7)],
          shape: [1, 2, 5, 6], scales: nil, sizes: [1, 2, 4, 7], roi: [0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3], path: .separable),
    .init(name: "nearest tf_crop_and_resize extrapolation", opset: 13,
          attributes: ["mode": .string("nearest"), "coordinate_transformation_mode": .string("tf_crop_and_resize"), "extrapolation_value": .float(-7)],
          shape: [1, 2, 5, 6], scales: nil, sizes: [1, 2, 4, 7], roi: [0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3], path: .separable),
    .init(name: "linear axes [0, 3]", opset: 18, attributes: ["mode": .string("linear"), "axes": .ints([0, 3])],
          shape: [3, 2, 2, 5], scales: [2, 0.6], sizes: nil, roi: nil, path: .separable),
]

@Suite struct SpatialFastPathTests {
    @Test(arguments: spatialResampleCases)
    func fastPathMatchesNaive(_ c: SpatialResampleCase) throws {
        let consts: [(String, Tensor?)] = [("roi", c.roi.map { spatialTensor($0) }), ("scales", c.scales.map { spatialTensor($0) }),
                                           ("sizes", c.sizes.map { spatialTensor(ints: $0) })]
        let setup = try ResizeOps.resizeSetup(spatialContext(op: "Resize", opset: c.opset, attributes: c.attributes, x: c.shape, constants: consts))
        #expect(ResizeOps.path(setup) == c.path)
        let x = Tensor(shape: c.shape, floats: testValues(c.shape.reduce(1, *), seed: 3))
        let y = try runSpatial(spatialOpModel(op: "Resize", opset: c.opset, attributes: c.attributes, x: c.shape, constants: consts), x)
        let want = ResizeOps.resampleNaive(setup, x)
        let cmp = compare(y, want, rtol: 1e-5, atol: 1e-6)
        #expect(cmp.ok, "\(cmp)")
    }

    /// Runs the same plan twice: kernels must overwrite every element (buffers are reused).
    @Test func kernelsOverwriteReusedBuffers() throws {
        let attrs: [String: AttributeValue] = ["mode": .string("linear")]
        let consts: [(String, Tensor?)] = [("roi", nil), ("scales", spatialTensor([1, 1, 1.5, 2]))]
        let plan = try Planner(model: spatialOpModel(op: "Resize", opset: 13, attributes: attrs, x: [2, 3, 4, 5], constants: consts)).plan(batch: 2)
        let a = Tensor(shape: [2, 3, 4, 5], floats: testValues(120, seed: 1)), b = Tensor(shape: [2, 3, 4, 5], floats: testValues(120, seed: 2))
        let first = try plan.run([a])[0]
        _ = try plan.run([b])
        let again = try plan.run([a])[0]
        #expect(first.floatArray == again.floatArray)
    }

    @Test func padConstantValueIsReadAtRunTime() throws {
        // constant_value is a graph input here, not an initializer.
        let model = oneNodeModel("Pad", node: "p", inputs: [.runtime(name: "x", dtype: .float32, shape: [1, 2]),
                                                            .constant(name: "pads", value: spatialTensor(ints: [1, 0, 0, 1])),
                                                            .runtime(name: "v", dtype: .float32, shape: [])], opset: 13)
        let plan = try Planner(model: model).plan(batch: 1)
        for v: Float in [4, -2] {
            let y = try plan.run([Tensor(shape: [1, 2], floats: [1, 2]), Tensor.scalar(v)])[0]
            #expect(y.shape == [2, 3])
            #expect(y.floatArray == [v, v, v, 1, 2, v])
        }
    }
}

// MARK: - errors at load time, naming the node

struct SpatialErrorCase: Sendable, CustomTestStringConvertible {
    let name: String, op: String, opset: Int
    let attributes: [String: AttributeValue]
    let shape: [Int]
    let xType: DType
    let constants: [(String, Tensor?)]
    let message: String
    var testDescription: String { name }

    init(_ name: String, _ op: String, _ opset: Int, _ attributes: [String: AttributeValue], _ shape: [Int],
         _ constants: [(String, Tensor?)], _ message: String, xType: DType = .float32) {
        self.name = name; self.op = op; self.opset = opset; self.attributes = attributes; self.shape = shape
        self.constants = constants; self.message = message; self.xType = xType
    }
}

let spatialScales4: (String, Tensor?) = ("scales", spatialTensor([1, 1, 2, 2]))
let spatialErrorCases: [SpatialErrorCase] = [
    .init("mode area", "Resize", 13, ["mode": .string("area")], [1, 1, 2, 2], [("roi", nil), spatialScales4], "mode 'area' is not supported"),
    .init("cubic at Resize-10", "Resize", 10, ["mode": .string("cubic")], [1, 1, 2, 2], [spatialScales4], "mode 'cubic' is not supported"),
    .init("bad transform", "Resize", 13, ["coordinate_transformation_mode": .string("sideways")], [1, 1, 2, 2], [("roi", nil), spatialScales4], "'sideways' is not supported"),
    .init("bad nearest_mode", "Resize", 13, ["nearest_mode": .string("banker")], [1, 1, 2, 2], [("roi", nil), spatialScales4], "'banker' is not supported"),
    .init("bad keep_aspect_ratio_policy", "Resize", 18, ["keep_aspect_ratio_policy": .string("fit")], [1, 1, 2, 2], [("roi", nil), spatialScales4], "'fit' is not supported"),
    .init("axes before opset 18", "Resize", 13, ["axes": .ints([2, 3])], [1, 1, 2, 2], [("roi", nil), spatialScales4], "needs opset 18"),
    .init("scales and sizes", "Resize", 13, [:], [1, 1, 2, 2], [("roi", nil), spatialScales4, ("sizes", spatialTensor(ints: [1, 1, 4, 4]))], "exactly one"),
    .init("neither scales nor sizes", "Resize", 13, [:], [1, 1, 2, 2], [("roi", nil), ("scales", spatialTensor([]))], "one of them is required"),
    .init("scales count", "Resize", 13, [:], [1, 1, 2, 2], [("roi", nil), ("scales", spatialTensor([2, 2]))], "scales has 2 value(s)"),
    .init("negative scale", "Resize", 13, [:], [1, 1, 2, 2], [("roi", nil), ("scales", spatialTensor([1, 1, -2, 2]))], "must be a positive number"),
    .init("negative size", "Resize", 13, [:], [1, 1, 2, 2], [("roi", nil), ("scales", nil), ("sizes", spatialTensor(ints: [1, 1, -4, 4]))], "is negative"),
    .init("run-time scales", "Resize", 13, [:], [1, 1, 2, 2], [("roi", nil), ("scales", nil)], "must be known at load time"),
    .init("tf_crop_and_resize without roi", "Resize", 13, ["coordinate_transformation_mode": .string("tf_crop_and_resize")], [1, 1, 2, 2], [("roi", nil), spatialScales4], "needs input 1 (roi)"),
    .init("integer resize", "Resize", 13, [:], [1, 1, 2, 2], [("roi", nil), spatialScales4], "not supported", xType: .int64),
    .init("absurd scale", "Resize", 13, [:], [1, 1, 2, 2], [("roi", nil), ("scales", spatialTensor([1, 1, 1e13, 1]))], "absurdly large"),
    .init("output too large", "Resize", 13, [:], [1, 1, 2, 2], [("roi", nil), ("scales", spatialTensor([1, 1, 1e9, 1e9]))], "more elements than fit"),
    .init("absurd keep-aspect size", "Resize", 18, ["keep_aspect_ratio_policy": .string("not_smaller")], [1, 1, 2, 2],
          [("roi", nil), ("scales", nil), ("sizes", spatialTensor(ints: [1, 1, 1 << 50, 1]))], "absurdly large"),
    .init("antialias filter too wide", "Resize", 18, ["mode": .string("linear"), "antialias": .int(1)], [1, 1, 1, 100_000_000],
          [("roi", nil), ("scales", spatialTensor([1, 1, 1, 1e-7]))], "which is not supported"),
    .init("Upsample absurd", "Upsample", 9, [:], [1, 1, 2, 2], [("scales", spatialTensor([1, 1, 1e9, 1e9]))], "more elements than fit"),
    .init("Upsample-1", "Upsample", 1, ["height_scale": .float(2), "width_scale": .float(2)], [1, 1, 2, 2], [], "is not supported"),
    .init("Upsample shrinking", "Upsample", 9, [:], [1, 1, 2, 2], [("scales", spatialTensor([1, 1, 0.5, 1]))], "scales ≥ 1"),
    .init("Pad mode symmetric", "Pad", 13, ["mode": .string("symmetric")], [2, 2], [("pads", spatialTensor(ints: [1, 1, 1, 1]))], "'symmetric' is not supported"),
    .init("Pad wrap before 19", "Pad", 13, ["mode": .string("wrap")], [2, 2], [("pads", spatialTensor(ints: [1, 1, 1, 1]))], "needs opset 19"),
    .init("Pad pads count", "Pad", 13, [:], [2, 2], [("pads", spatialTensor(ints: [1, 1]))], "pads has 2 value(s)"),
    .init("Pad crops below zero", "Pad", 13, [:], [2, 2], [("pads", spatialTensor(ints: [-2, 0, -1, 0]))], "negative or absurd"),
    .init("Pad reflect from nothing", "Pad", 13, ["mode": .string("reflect")], [2, 3], [("pads", spatialTensor(ints: [0, -3, 0, 4]))], "nothing left to pad"),
    .init("Pad-2 without pads", "Pad", 2, [:], [2, 2], [], "'pads' is required"),
    .init("DepthToSpace channels", "DepthToSpace", 13, ["blocksize": .int(2)], [1, 6, 2, 2], [], "not divisible"),
    .init("DepthToSpace mode", "DepthToSpace", 13, ["blocksize": .int(2), "mode": .string("RDC")], [1, 4, 2, 2], [], "'RDC' is not supported"),
    .init("DepthToSpace rank", "DepthToSpace", 13, ["blocksize": .int(2)], [4, 2, 2], [], "must be 4-D"),
    .init("DepthToSpace no blocksize", "DepthToSpace", 13, [:], [1, 4, 2, 2], [], "'blocksize' is required"),
    .init("SpaceToDepth height", "SpaceToDepth", 13, ["blocksize": .int(2)], [1, 1, 3, 4], [], "must be divisible"),
]

@Suite struct SpatialErrorTests {
    @Test(arguments: spatialErrorCases)
    func refusedAtLoadWithNodeName(_ c: SpatialErrorCase) throws {
        var ctx = spatialContext(op: c.op, opset: c.opset, attributes: c.attributes, x: c.shape, xType: c.xType, constants: c.constants)
        if c.name == "run-time scales" {
            // scales is an input computed at run time: present, non-empty, no load-time value.
            ctx = OpContext(node: Node(name: "n", opType: "Resize", inputs: ["x", "", "s"], outputs: ["y"]), opset: 13,
                            inputs: [PlannedValue(dtype: .float32, shape: c.shape), nil, PlannedValue(dtype: .float32, shape: [4])])
        }
        guard let factory = OperatorRegistry.table[c.op] else { Issue.record("no factory for \(c.op)"); return }
        do {
            _ = try factory(ctx)
            Issue.record("expected an error containing \"\(c.message)\"")
        } catch let e as EngineError {
            #expect(e.description.contains(c.message), "\(e)")
            #expect(e.description.contains("node 'n' (\(c.op))"), "\(e)")
        }
    }
}
