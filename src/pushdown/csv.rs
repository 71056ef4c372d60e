//! The CSV an engine writes its results in (Athena: every value quoted,
//! `""` for a quote, an empty unquoted field for NULL; DuckDB: quoted only
//! where needed). Read record by record, so a large result streams.

use std::io::BufRead;

/// One CSV record: `None` for an empty unquoted field (NULL).
pub type CsvRecord = Vec<Option<String>>;

/// Reads records from `input`; `line` is the line the next record starts on.
pub struct CsvReader<R> {
    input: R,
    pub line: u64,
    buf: String,
}

impl<R: BufRead> CsvReader<R> {
    pub fn new(input: R) -> Self {
        CsvReader {
            input,
            line: 1,
            buf: String::new(),
        }
    }

    /// The next record, `Ok(None)` at the end; an error names the line.
    pub fn next_record(&mut self) -> Result<Option<CsvRecord>, String> {
        let start = self.line;
        let mut fields: CsvRecord = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut in_quotes = false;
        let mut any = false;
        loop {
            self.buf.clear();
            let n = self
                .input
                .read_line(&mut self.buf)
                .map_err(|e| format!("line {}: {e}", self.line))?;
            if n == 0 {
                if in_quotes {
                    return Err(format!("line {start}: a quoted value is not closed"));
                }
                if !any {
                    return Ok(None);
                }
                fields.push(value(field, quoted));
                return Ok(Some(fields));
            }
            self.line += 1;
            any = true;
            let mut chars = self.buf.chars().peekable();
            while let Some(c) = chars.next() {
                if in_quotes {
                    if c == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            field.push('"');
                        } else {
                            in_quotes = false;
                        }
                    } else {
                        field.push(c);
                    }
                    continue;
                }
                match c {
                    '"' if field.is_empty() && !quoted => {
                        quoted = true;
                        in_quotes = true;
                    }
                    ',' => {
                        fields.push(value(std::mem::take(&mut field), quoted));
                        quoted = false;
                    }
                    '\r' if chars.peek() == Some(&'\n') => {}
                    '\n' => {
                        fields.push(value(field, quoted));
                        return Ok(Some(fields));
                    }
                    c => field.push(c),
                }
            }
        }
    }
}

fn value(field: String, quoted: bool) -> Option<String> {
    (quoted || !field.is_empty()).then_some(field)
}
