import Foundation
import ZWalkEngine

// Commands → library calls. Filled in as the CLI grows.
FileHandle.standardError.write("zwalk: no commands yet\n".data(using: .utf8)!)
exit(2)
