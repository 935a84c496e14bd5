// The decoders' results are the generated messages: whoever decodes with this module reads them.
@_exported import OTLPMessages
