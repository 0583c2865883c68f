using MapGen;

namespace DevMapRedirect;

// The C# twin of examples/array_of_devmaps.bpf.c: the MapGen generator completes both structs
// with Spec, Create, Lookup, Update, ... at compile time. Their kernel names default to the struct
// names in snake_case: tx_ports and tx_port_tables, as in the C file.

/// <summary>
/// One TX port table: TX queue index (the <c>uint</c> key of a DevMap) → the ifindex of the
/// interface to redirect to (the <c>uint</c> value), as <c>bpf_redirect_map</c> uses it.
/// </summary>
[BpfMap(BpfMapType.DevMap, MaxEntries = 32)]
internal partial struct TxPorts;

/// <summary>
/// The outer map: RX queue index → that queue's <see cref="TxPorts"/> table. Its value is the inner
/// map itself, so it is not declared; <c>[InnerMap]</c> names the inner map's declaration.
/// </summary>
[BpfMap(BpfMapType.ArrayOfMaps, MaxEntries = 32)]
[InnerMap(typeof(TxPorts))]
internal partial struct TxPortTables;
