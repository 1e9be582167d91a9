import Foundation

/// Why a file operation failed, in the few words a user acts on — "permission denied", "no such
/// file or directory", "no space left on device" — instead of Foundation's sentences ("You don't
/// have permission to save the file … in the folder …"), which name neither the path as given nor
/// the operation. Callers say both: "cannot read PATH: permission denied".
public func fileErrorReason(_ error: Error) -> String {
    let e = error as NSError
    if e.domain == NSPOSIXErrorDomain { return errnoReason(Int32(e.code)) }
    if let underlying = e.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return errnoReason(Int32(underlying.code))
    }
    if e.domain == NSCocoaErrorDomain {
        switch e.code {
        case NSFileReadNoPermissionError, NSFileWriteNoPermissionError: return errnoReason(EACCES)
        case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return errnoReason(ENOENT)
        case NSFileWriteOutOfSpaceError: return errnoReason(ENOSPC)
        case NSFileWriteVolumeReadOnlyError: return errnoReason(EROFS)
        case NSFileWriteFileExistsError: return errnoReason(EEXIST)
        default: break
        }
    }
    return e.localizedDescription
}

/// strerror's text for an errno value, lower-cased at the start ("permission denied").
public func errnoReason(_ code: Int32) -> String {
    let text = String(cString: strerror(code))
    return text.prefix(1).lowercased() + text.dropFirst()
}
