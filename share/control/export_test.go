package control

// Exported for the external tests of this package.
var (
	RegistryEntry = registryEntry
	RegisterAs    = registerAs
)

// OtherPid is a pid no test process has.
const OtherPid = otherPid
