// Package tnef unpacks Outlook's Transport Neutral Encapsulation Format
// ([MS-OXTNEF]), the winmail.dat part (application/ms-tnef,
// application/vnd.ms-tnef) Outlook and Exchange send when a message has
// rich text, and which most other clients cannot open.
//
// A TNEF stream is a serialised MAPI message: beside the body and the
// attachments it carries the sender's display name and address, the
// message class, conversation ids and dates, and recipient tables. Decode
// takes out only what the recipient reads (the bodies and the attached
// files) so that the relay can clean those and send them as ordinary MIME
// parts; everything else in the stream is never copied out. A body stored
// only as RTF comes out as the HTML or plain text it was written in
// ([MS-OXRTFEX] de-encapsulation), or as the text of the RTF, so that it is
// cleaned as a body, not as a document.
//
// Decode refuses what it cannot take apart safely with a refusal.Error:
// Malformed for a stream that does not parse, Unsupported for embedded
// messages, OLE objects and linked files, TooLarge past the caller's bound.
package tnef
