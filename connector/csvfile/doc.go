// Package csvfile connects Tobira to a warehouse partner that has no API and exchanges CSV files
// instead, as most Japanese 3PLs and WMS imports still do. It plays the warehouse roles:
// connector.Fulfiller (fulfilment requests, changes and cancellations, written as order files),
// connector.ShipmentSource (shipment files read) and connector.StockSource (stock files read).
//
// The connector works in one directory the host shares with the partner however it likes (an
// SFTP job, a synced folder, a mounted share: moving the files is the host's business):
//
//	Dir/orders/     order files the connector writes (出荷指示): the partner takes them away
//	Dir/shipments/  shipment files the partner writes (出荷実績)
//	Dir/stock/      stock files the partner writes (在庫)
//	Dir/status/     status files the partner writes (作業状況): picking begun, answers
//	Dir/.tobira/    the connector's own state; keep it, and do not sync it to the partner
//
// csvfiletest is a fake partner for tests, working on the same directory.
//
// # Files
//
// Files are CSV (RFC 4180 quoting) with CRLF line ends and a header row, in Shift_JIS (code page
// 932, the zero value of Encoding) or UTF-8. A file holds one row per order line, or per shipped
// line, or per SKU; the request's own fields repeat on each of its rows. Files with a header are
// read by header name, so a partner may reorder columns or add its own; Layouts configures other
// header names, other columns, or files without a header (read by position). Dates are written
// YYYY/MM/DD and times YYYY/MM/DD hh:mm:ss in Japan time (Config.Location); on reading, the
// usual variants (hyphens, no zero padding, YYYYMMDD, RFC 3339) are accepted, and numbers and
// codes typed in full width (２, ＡＢＣ) or half-width katakana (ﾔﾏﾄ) are read as their usual
// forms. A character Shift_JIS cannot hold (an emoji in a gift message, 𠮷) is written as 〓, the
// mark Japanese printing uses for a missing glyph, and logged (without the text).
//
// # The default layout, and what it is based on
//
// There is no standard: every WMS has its own import, and the partner's WMS will usually be told
// to map these columns (or Layouts is set to its columns). The default takes the names and
// forms most of them share, from the public import specifications of Japanese WMS and of the
// carriers' label systems that WMS files feed:
//
//   - Order file (出荷指示): 出荷指示番号, 指示区分 (新規, 変更, 取消), 指示ID, 荷主コード,
//     店舗コード, 受注番号, 受注日, お届け先名, お届け先会社名, お届け先郵便番号, お届け先都道府県,
//     お届け先市区町村, お届け先住所1, お届け先住所2, お届け先電話番号, 配達指定日, 配達時間帯,
//     代引金額, ギフト包装, のし, ギフトメッセージ, 明細番号, 商品コード, 商品名, 数量, 単価, 備考.
//     A flat file whose rows carry the instruction's own fields, as the 出荷指示取込 layout of the
//     W3 mimosa WMS lists them (manual.w3-wms.com: 受注番号, 出荷予定日, 配送業者,
//     配達指定時間帯コード, 依頼主 …) and as STOCKCREW's 出荷指示 CSV import takes them (a template with a
//     header row, knowledge.stockcrew.co.jp), one row per line here. The address columns follow
//     Yamato's B2クラウド and Sagawa's e飛伝 imports (お届け先郵便番号, お届け先住所, お届け先名,
//     お届け先電話番号), which are Shift_JIS with CRLF and a header row (aiship's "CSVレイアウト
//     (ヤマトB2形式)", Flagship's B2クラウド format notes). 配達指定日 is YYYY/MM/DD and
//     配達時間帯 is the four-digit code B2 uses (0812 午前中, 1214, 1416, 1618, 1820, 2021), which
//     is also Tobira's normalized order.TimeSlot, so the value passes through; 代引金額 is B2's
//     コレクト代金引換額 in yen. 出荷指示番号 carries the request key: WMS imports refuse a
//     number they already hold (LOGILESS requires unique order codes), which makes it the
//     partner's duplicate check.
//   - Shipment file (出荷実績): 出荷番号, 出荷指示番号, 受注番号, 出荷日, 配送業者, 送り状番号,
//     明細番号, 商品コード, 出荷数. The tracking number (B2's export calls it 伝票番号) goes by
//     the name order systems give it when they take carriers' files back in (送り状番号, as in
//     e-shops cart's 送り状番号CSV, cart.e-shops.jp); 配送業者 takes company names (ヤマト運輸, 佐川急便, 日本郵便,
//     西濃運輸, 福山通運, エコ配 and their services: ネコポス, ゆうパック …) or Tobira's carrier
//     codes; one that is not known becomes shipment.CarrierOther, so the tracking number still
//     reaches the channel. Consecutive rows with the same 出荷番号 and 出荷指示番号 are one
//     shipment; their distinct 送り状番号 are its parcels. Without a 出荷番号 the shipment's ID is
//     derived from the request key and the tracking numbers, so a partner that exports the same
//     shipment again in a cumulative file gives the same ID.
//   - Stock file (在庫): 商品コード, 商品名, 在庫数, 基準日時. 在庫数 is the physical stock on hand
//     (実在庫), not 引当可能数: the engine subtracts its own reservations. Stock exports keep the
//     two apart (速販's stock history has 在庫数 and 引当在庫数, manual.sokuhan.jp); a partner that
//     can only export 引当可能数 makes the engine count its reservations twice, which undersells
//     but never oversells. A level's AsOf is 基準日時, or, when it is empty, the time the partner
//     wrote the file.
//   - Status file (作業状況): 出荷指示番号, 状態, 指示ID, 結果, 理由. 状態 ピッキング中,
//     ピッキング済, 作業中, 検品済, 梱包済 mean picking has begun; 出荷済 that the request shipped;
//     結果 OK or NG answers the 変更 or 取消 named by 指示ID.
//
// # Writing: atomic, once per key
//
// Each instruction is one file, named order_TIME_KIND_HASH.csv (ASCII, sorting in the order the
// instructions were given: the partner applies them in name order). It is written as a hidden
// temporary file, synced, and linked into place, then the directory is synced: the partner sees
// the whole file or nothing (its pickup must skip names beginning with a dot). Before the file,
// the connector records in its state the instruction and the file's name; after it, that the
// file is written. Submitting a key again, or repeating a change or cancellation with its
// idempotency key, finds that record and writes nothing, even after the partner took the file
// away; a retry after a crash between the two records writes the same file name again. The one
// window left (a crash after the file was written, the partner taking it before the connector
// records it) writes the file a second time, and the partner's duplicate check on 出荷指示番号
// and 指示ID absorbs it.
//
// # Reading: every file once, across crashes
//
// A partner's file is taken in by copying it into the state directory (named by the hash of its
// content) and appending it to a manifest; only then is it removed from the partner's directory
// (Config.KeepInbox leaves it there). The manifest fixes the order files arrived in, whatever
// their names. A file with the name and the content of the latest file taken in under that name
// is the same file delivered again, and is read once; the same content under another name, or
// back under a name after other content, is a new report (stock 5, then 3, then 5 again). A
// cursor is a position in the manifest: a file and a record in it. The mark that a file was
// processed is that cursor, which the engine records in its store only after it recorded what
// the page held. A crash before that leaves the cursor where it was, and the next run lists the
// same shipments again, with the same IDs (the partner's 出荷番号, or derived from the content),
// so the engine, idempotent on shipment IDs, applies nothing twice; a crash while taking a file
// in takes it in again, and the manifest recognises the repeat.
//
// A malformed row becomes one connector.Reject, with the file name and line as its ID and an
// error naming the file, the line and the column, and the rest of the file goes on; a
// shipment spanning several rows is rejected whole when one of its rows is bad. A file that
// cannot be read as a whole (its header lacks a required column, or it is larger than
// Config.MaxFileSize) is one Reject, and the listing goes on with the next file. Files being
// uploaded must be hidden or carry a temporary suffix (.tmp, .part, .filepart) until complete;
// for partners that cannot, Config.MinAge waits until a file has not changed for that long.
//
// # Answers to changes and cancellations
//
// A file partner answers late or not at all, so the connector answers from what the partner has
// reported so far. A change or cancellation of a request the partner has reported as shipped (a
// shipment file names it) is refused with connector.RefusedShipped; one it has reported as being
// picked (a status file) is refused with connector.RefusedPicked; otherwise it is accepted, and
// the 変更 or 取消 file is written. A change replaces the request's whole content; a 取消 row
// without 商品コード cancels the whole request, rows with 商品コード cancel those quantities.
// The answer is recorded under the idempotency key, so asking again gets the same answer. A
// cancellation of a key never written is accepted without a file, and a later Submit of that key
// writes nothing. The partner agrees to apply a 変更 or 取消 received before it starts picking
// and to report picking promptly; a change written in the moment between the partner starting
// to pick and the status file arriving is accepted here and may be refused there. The
// connector interfaces have no way to withdraw an answer, so the partner's 結果 NG row for it is
// logged at warning level and handed to Config.OnRefusal, for the host to tell the merchant.
//
// For a partner that answers every instruction, Config.AwaitAnswers makes the answer the
// partner's: the 変更 or 取消 file is written, and Change or Cancel returns ErrAwaitingAnswer (a
// temporary error) until a status row whose 指示ID names it arrives; then 結果 OK is an
// acceptance and NG a refusal with the partner's 理由 (its words for picking and shipping become
// connector.RefusedPicked and RefusedShipped). The engine keeps the order pending and asks again
// on its next runs, with the same idempotency key, so nothing is written twice; a refusal reaches
// the host as the engine's ChangeRefused or CancelRefused event. A request the partner has
// already reported as picked or shipped is refused at once, without a file.
//
// # Limits
//
// No rate limits apply: the connector touches only local files. Reads are bounded by
// Config.MaxFileSize per file and by Config.PageSize items per page; a listing from "" of the
// stock returns every SKU in one page. The state directory grows by one manifest line and one
// copy per file taken in, and two small records per instruction; pruning them is the host's
// choice once the engine's cursors are past them.
//
// # Personal data
//
// Addresses, names and phone numbers go only into the order files. Errors, Rejects and log
// records name files, lines, columns, keys and SKUs, never a value read from a row.
//
// # Errors
//
// Invalid requests (an empty key, an order that fails validation) match connector.ErrPermanent.
// A change, or a partial cancellation, of a key never submitted matches connector.ErrNotFound. A
// malformed or lost cursor matches connector.ErrPermanent. Under Config.AwaitAnswers, a change or
// cancellation the partner has not answered yet matches ErrAwaitingAnswer and
// connector.ErrTemporary. File system failures match
// connector.ErrTemporary, whatever their cause (a full disk, a share gone, a wrong permission):
// they are no fault of the item, so the engine tries again. A cancelled context returns its
// error. Config.Validate reports a configuration that cannot work.
package csvfile
