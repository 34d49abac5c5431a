//! An independent encoder written from the rules in PROTOCOL.md §4 (not from bincode's
//! source). It produces the bytes together with a note for each value, and records the
//! shape of every struct and enum it meets. The tests check that its bytes equal what
//! `entrepot_protocol::encode` produces, which verifies the documented rules, and they
//! print its notes into the annotated vectors of PROTOCOL.md §9.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::{self, Display};

use serde::ser::{self, Serialize};

/// One annotated run of bytes: `label = value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub bytes: Vec<u8>,
    pub label: String,
    pub value: String,
}

/// A variant's payload as recorded: type expressions in the normalized form of
/// [`normalize_type`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VariantShape {
    Unit,
    Newtype(String),
    Tuple(Vec<String>),
    Struct(Vec<(String, String)>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Def {
    Struct(Vec<(String, String)>),
    Enum(BTreeMap<u32, (String, VariantShape)>),
}

#[derive(Default)]
pub struct Spec {
    pub lines: Vec<Line>,
    pub defs: BTreeMap<String, Def>,
}

#[derive(Debug)]
pub struct Error(String);

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

// ---- the documented rules -------------------------------------------------------------

/// §4.1: unsigned varint. < 251: one byte; else a marker (251 u16, 252 u32, 253 u64,
/// 254 u128) and the value little-endian in the smallest of those that fits.
pub fn varint(v: u128) -> Vec<u8> {
    if v < 251 {
        vec![v as u8]
    } else if v <= u128::from(u16::MAX) {
        let mut b = vec![251];
        b.extend((v as u16).to_le_bytes());
        b
    } else if v <= u128::from(u32::MAX) {
        let mut b = vec![252];
        b.extend((v as u32).to_le_bytes());
        b
    } else if v <= u128::from(u64::MAX) {
        let mut b = vec![253];
        b.extend((v as u64).to_le_bytes());
        b
    } else {
        let mut b = vec![254];
        b.extend(v.to_le_bytes());
        b
    }
}

/// §4.1: signed integers (i16 and wider) are zigzag-mapped, then written as a varint.
pub fn zigzag(v: i128) -> u128 {
    ((v << 1) ^ (v >> 127)) as u128
}

/// Whether a string looks like a decimal number (how the recorder tells `Decimal` fields
/// from `String` fields: samples use letters in every `String`).
fn looks_decimal(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-') && s.parse::<rust_decimal::Decimal>().is_ok()
}

impl Spec {
    fn push(&mut self, bytes: Vec<u8>, label: &str, value: String) {
        self.lines.push(Line { bytes, label: label.to_string(), value });
    }

    /// Add a definition, merging with what is known (samples fill in each other's gaps).
    pub fn record(&mut self, name: &str, def: Def) {
        match self.defs.get(name) {
            None => {
                self.defs.insert(name.to_string(), def);
            }
            Some(old) => {
                let merged = merge(name, old.clone(), def);
                self.defs.insert(name.to_string(), merged);
            }
        }
    }

    fn record_variant(&mut self, enum_name: &str, index: u32, variant: &str, shape: VariantShape) {
        let mut one = BTreeMap::new();
        one.insert(index, (variant.to_string(), shape));
        self.record(enum_name, Def::Enum(one));
    }
}

/// Unknown parts of a type ("?": an empty Vec, a None) are filled in by other samples.
fn vaguer(a: &str, b: &str) -> bool {
    a.matches('?').count() > b.matches('?').count()
}

fn merge_fields(name: &str, old: Vec<(String, String)>, new: Vec<(String, String)>) -> Vec<(String, String)> {
    assert_eq!(old.len(), new.len(), "{name}: field count differs between samples");
    old.into_iter()
        .zip(new)
        .map(|((of, ot), (nf, nt))| {
            assert_eq!(of, nf, "{name}: field names differ between samples");
            let t = if vaguer(&ot, &nt) { nt } else { ot };
            (of, t)
        })
        .collect()
}

fn merge_shape(name: &str, old: VariantShape, new: VariantShape) -> VariantShape {
    match (old, new) {
        (VariantShape::Struct(a), VariantShape::Struct(b)) => VariantShape::Struct(merge_fields(name, a, b)),
        (VariantShape::Newtype(a), VariantShape::Newtype(b)) => VariantShape::Newtype(if vaguer(&a, &b) { b } else { a }),
        (VariantShape::Tuple(a), VariantShape::Tuple(b)) => {
            VariantShape::Tuple(a.into_iter().zip(b).map(|(a, b)| if vaguer(&a, &b) { b } else { a }).collect())
        }
        (a, b) => {
            assert_eq!(a, b, "{name}: variant shape differs between samples");
            a
        }
    }
}

fn merge(name: &str, old: Def, new: Def) -> Def {
    match (old, new) {
        (Def::Struct(a), Def::Struct(b)) => Def::Struct(merge_fields(name, a, b)),
        (Def::Enum(mut a), Def::Enum(b)) => {
            for (i, (v, shape)) in b {
                let entry = match a.remove(&i) {
                    None => (v, shape),
                    Some((ov, oshape)) => {
                        assert_eq!(ov, v, "{name}: variant {i} has two names");
                        (ov, merge_shape(name, oshape, shape))
                    }
                };
                a.insert(i, entry);
            }
            Def::Enum(a)
        }
        _ => panic!("{name} is both a struct and an enum"),
    }
}

/// Encode a message with the documented rules: the annotated lines of its payload (no
/// frame length) and the definitions of the types it contains.
pub fn annotate<T: Serialize>(value: &T, root: &str) -> Spec {
    let mut spec = Spec::default();
    value.serialize(Ser { spec: &mut spec, label: root.to_string() }).expect("the spec encoder handles every protocol type");
    spec
}

pub fn spec_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    annotate(value, "value").lines.iter().flat_map(|l| l.bytes.clone()).collect()
}

/// The whole frame (u32 LE length + payload) per the documented rules.
pub fn spec_frame<T: Serialize>(value: &T) -> Vec<u8> {
    let payload = spec_bytes(value);
    let mut frame = (payload.len() as u32).to_le_bytes().to_vec();
    frame.extend(payload);
    frame
}

/// The annotated hex block of a frame, as PROTOCOL.md shows it (without the fences).
pub fn hex_block<T: Serialize>(value: &T) -> Vec<String> {
    let spec = annotate(value, "");
    let payload_len: usize = spec.lines.iter().map(|l| l.bytes.len()).sum();
    let mut lines = vec![Line { bytes: (payload_len as u32).to_le_bytes().to_vec(), label: "frame length".into(), value: payload_len.to_string() }];
    lines.extend(spec.lines);
    const PER_LINE: usize = 12;
    let width = lines.iter().map(|l| l.bytes.len().min(PER_LINE)).max().unwrap_or(1) * 3 - 1;
    let mut out = Vec::new();
    for l in lines {
        let chunks: Vec<&[u8]> = l.bytes.chunks(PER_LINE).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let hex = chunk.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
            if i == 0 {
                let note = if l.label.is_empty() { l.value.clone() } else { format!("{} = {}", l.label, l.value) };
                out.push(format!("{hex:<width$}  # {note}"));
            } else {
                out.push(hex);
            }
        }
    }
    out
}

// ---- the serializer --------------------------------------------------------------------

struct Ser<'a> {
    spec: &'a mut Spec,
    label: String,
}

fn quote(s: &str) -> String {
    format!("{s:?}")
}

impl Ser<'_> {
    fn uint(self, v: u128, ty: &str) -> Result<String, Error> {
        self.spec.push(varint(v), &self.label, v.to_string());
        Ok(ty.into())
    }

    fn sint(self, v: i128, ty: &str) -> Result<String, Error> {
        self.spec.push(varint(zigzag(v)), &self.label, format!("{v} (zigzag {})", zigzag(v)));
        Ok(ty.into())
    }

    fn variant_index(&mut self, name: &str, index: u32, variant: &str) {
        let label = self.label.clone();
        self.spec.push(varint(u128::from(index)), &label, format!("{name}::{variant} (variant {index})"));
    }
}

impl<'a> ser::Serializer for Ser<'a> {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = ser::Impossible<String, Error>;
    type SerializeStruct = Fields<'a>;
    type SerializeStructVariant = Fields<'a>;

    fn serialize_bool(self, v: bool) -> Result<String, Error> {
        self.spec.push(vec![u8::from(v)], &self.label, v.to_string());
        Ok("bool".into())
    }
    fn serialize_i8(self, v: i8) -> Result<String, Error> {
        self.spec.push(vec![v as u8], &self.label, v.to_string());
        Ok("i8".into())
    }
    fn serialize_i16(self, v: i16) -> Result<String, Error> {
        self.sint(i128::from(v), "i16")
    }
    fn serialize_i32(self, v: i32) -> Result<String, Error> {
        self.sint(i128::from(v), "i32")
    }
    fn serialize_i64(self, v: i64) -> Result<String, Error> {
        self.sint(i128::from(v), "i64")
    }
    fn serialize_i128(self, v: i128) -> Result<String, Error> {
        self.sint(v, "i128")
    }
    fn serialize_u8(self, v: u8) -> Result<String, Error> {
        self.spec.push(vec![v], &self.label, v.to_string());
        Ok("u8".into())
    }
    fn serialize_u16(self, v: u16) -> Result<String, Error> {
        self.uint(u128::from(v), "u16")
    }
    fn serialize_u32(self, v: u32) -> Result<String, Error> {
        self.uint(u128::from(v), "u32")
    }
    fn serialize_u64(self, v: u64) -> Result<String, Error> {
        self.uint(u128::from(v), "u64")
    }
    fn serialize_u128(self, v: u128) -> Result<String, Error> {
        self.uint(v, "u128")
    }
    fn serialize_f32(self, v: f32) -> Result<String, Error> {
        self.spec.push(v.to_le_bytes().to_vec(), &self.label, v.to_string());
        Ok("f32".into())
    }
    fn serialize_f64(self, v: f64) -> Result<String, Error> {
        self.spec.push(v.to_le_bytes().to_vec(), &self.label, v.to_string());
        Ok("f64".into())
    }
    fn serialize_char(self, v: char) -> Result<String, Error> {
        let mut buf = [0u8; 4];
        self.spec.push(v.encode_utf8(&mut buf).as_bytes().to_vec(), &self.label, format!("{v:?}"));
        Ok("char".into())
    }
    fn serialize_str(self, v: &str) -> Result<String, Error> {
        let mut bytes = varint(v.len() as u128);
        bytes.extend(v.as_bytes());
        self.spec.push(bytes, &self.label, quote(v));
        Ok(if looks_decimal(v) { "dec" } else { "str" }.into())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<String, Error> {
        let mut bytes = varint(v.len() as u128);
        bytes.extend(v);
        self.spec.push(bytes, &self.label, format!("{} bytes", v.len()));
        Ok("bytes".into())
    }
    fn serialize_none(self) -> Result<String, Error> {
        self.spec.push(vec![0], &self.label, "None".into());
        Ok("option<?>".into())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<String, Error> {
        let at = self.spec.lines.len();
        self.spec.push(vec![1], &self.label, "Some".into());
        let inner = value.serialize(Ser { spec: &mut *self.spec, label: self.label.clone() })?;
        // A Some of a single value reads better on one line: `01 fa  # x = Some(250)`.
        if self.spec.lines.len() == at + 2 {
            let value = self.spec.lines.pop().expect("inner line");
            let tag = &mut self.spec.lines[at];
            tag.bytes.extend(value.bytes);
            tag.value = format!("Some({})", value.value);
        }
        Ok(format!("option<{inner}>"))
    }
    fn serialize_unit(self) -> Result<String, Error> {
        Ok("()".into())
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<String, Error> {
        self.spec.record(name, Def::Struct(vec![]));
        Ok(name.into())
    }
    fn serialize_unit_variant(mut self, name: &'static str, index: u32, variant: &'static str) -> Result<String, Error> {
        self.variant_index(name, index, variant);
        self.spec.record_variant(name, index, variant, VariantShape::Unit);
        Ok(name.into())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, name: &'static str, value: &T) -> Result<String, Error> {
        let inner = value.serialize(Ser { spec: &mut *self.spec, label: self.label.clone() })?;
        self.spec.record(name, Def::Struct(vec![("0".into(), inner)]));
        Ok(name.into())
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(mut self, name: &'static str, index: u32, variant: &'static str, value: &T) -> Result<String, Error> {
        self.variant_index(name, index, variant);
        let inner = value.serialize(Ser { spec: &mut *self.spec, label: format!("{name}::{variant}.0") })?;
        self.spec.record_variant(name, index, variant, VariantShape::Newtype(inner));
        Ok(name.into())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'a>, Error> {
        let len = len.ok_or_else(|| Error("sequences must know their length".into()))?;
        let label = self.label.clone();
        self.spec.push(varint(len as u128), &label, format!("length {len}"));
        Ok(Seq { spec: self.spec, label, kind: SeqKind::Seq, types: vec![], start: 0, index: 0 })
    }
    fn serialize_tuple(self, _len: usize) -> Result<Seq<'a>, Error> {
        let start = self.spec.lines.len();
        Ok(Seq { spec: self.spec, label: self.label, kind: SeqKind::Tuple, types: vec![], start, index: 0 })
    }
    fn serialize_tuple_struct(self, name: &'static str, _len: usize) -> Result<Seq<'a>, Error> {
        let start = self.spec.lines.len();
        Ok(Seq { spec: self.spec, label: name.into(), kind: SeqKind::TupleStruct(name), types: vec![], start, index: 0 })
    }
    fn serialize_tuple_variant(mut self, name: &'static str, index: u32, variant: &'static str, _len: usize) -> Result<Seq<'a>, Error> {
        self.variant_index(name, index, variant);
        let start = self.spec.lines.len();
        let label = format!("{name}::{variant}");
        Ok(Seq { spec: self.spec, label, kind: SeqKind::TupleVariant(name, index, variant), types: vec![], start, index: 0 })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(Error("the protocol has no maps".into()))
    }
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Fields<'a>, Error> {
        Ok(Fields { spec: self.spec, owner: name.into(), kind: FieldsKind::Struct(name), fields: vec![] })
    }
    fn serialize_struct_variant(mut self, name: &'static str, index: u32, variant: &'static str, _len: usize) -> Result<Fields<'a>, Error> {
        self.variant_index(name, index, variant);
        Ok(Fields { spec: self.spec, owner: format!("{name}::{variant}"), kind: FieldsKind::Variant(name, index, variant), fields: vec![] })
    }
    fn is_human_readable(&self) -> bool {
        false
    }
}

enum SeqKind {
    Seq,
    Tuple,
    TupleStruct(&'static str),
    TupleVariant(&'static str, u32, &'static str),
}

pub struct Seq<'a> {
    spec: &'a mut Spec,
    label: String,
    kind: SeqKind,
    types: Vec<String>,
    start: usize,
    index: usize,
}

impl Seq<'_> {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        let label = match self.kind {
            SeqKind::Seq => format!("{}[{}]", self.label, self.index),
            _ => format!("{}.{}", self.label, self.index),
        };
        self.index += 1;
        let ty = value.serialize(Ser { spec: &mut *self.spec, label })?;
        self.types.push(ty);
        Ok(())
    }

    fn finish(self) -> Result<String, Error> {
        match self.kind {
            SeqKind::Seq => {
                let first = self.types.first().cloned().unwrap_or_else(|| "?".into());
                Ok(format!("seq<{first}>"))
            }
            SeqKind::Tuple => {
                // [u8; N] reads better as one line of N bytes.
                let n = self.types.len();
                if n > 1 && self.types.iter().all(|t| t == "u8") && self.spec.lines.len() == self.start + n {
                    let bytes: Vec<u8> = self.spec.lines.drain(self.start..).flat_map(|l| l.bytes).collect();
                    let hex = bytes.iter().map(|b| format!("0x{b:02x}")).collect::<Vec<_>>().join(", ");
                    let mut value = format!("[{hex}]");
                    if bytes.iter().all(u8::is_ascii_graphic) {
                        value.push_str(&format!(" ({:?})", String::from_utf8_lossy(&bytes)));
                    }
                    self.spec.push(bytes, &self.label, value);
                }
                Ok(format!("({})", self.types.join(",")))
            }
            SeqKind::TupleStruct(name) => {
                let fields = self.types.into_iter().enumerate().map(|(i, t)| (i.to_string(), t)).collect();
                self.spec.record(name, Def::Struct(fields));
                Ok(name.into())
            }
            SeqKind::TupleVariant(name, index, variant) => {
                self.spec.record_variant(name, index, variant, VariantShape::Tuple(self.types));
                Ok(name.into())
            }
        }
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = String;
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<String, Error> {
        self.finish()
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = String;
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<String, Error> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = String;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<String, Error> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Seq<'_> {
    type Ok = String;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<String, Error> {
        self.finish()
    }
}

enum FieldsKind {
    Struct(&'static str),
    Variant(&'static str, u32, &'static str),
}

pub struct Fields<'a> {
    spec: &'a mut Spec,
    owner: String,
    kind: FieldsKind,
    fields: Vec<(String, String)>,
}

impl Fields<'_> {
    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        let ty = value.serialize(Ser { spec: &mut *self.spec, label: format!("{}.{key}", self.owner) })?;
        self.fields.push((key.into(), ty));
        Ok(())
    }

    fn finish(self) -> Result<String, Error> {
        match self.kind {
            FieldsKind::Struct(name) => {
                self.spec.record(name, Def::Struct(self.fields));
                Ok(name.into())
            }
            FieldsKind::Variant(name, index, variant) => {
                self.spec.record_variant(name, index, variant, VariantShape::Struct(self.fields));
                Ok(name.into())
            }
        }
    }
}

impl ser::SerializeStruct for Fields<'_> {
    type Ok = String;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<String, Error> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Fields<'_> {
    type Ok = String;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<String, Error> {
        self.finish()
    }
}

// ---- the schema notation of PROTOCOL.md §6 ----------------------------------------------

/// A type as written in the schema (`Option<Decimal>`, `[u8; 4]`, `Vec<(Decimal, Decimal)>`)
/// → the recorder's form (`option<dec>`, `(u8,u8,u8,u8)`, `seq<(dec,dec)>`).
pub fn normalize_type(t: &str) -> String {
    let t = t.trim();
    if let Some(inner) = t.strip_prefix("Option<").and_then(|r| r.strip_suffix('>')) {
        return format!("option<{}>", normalize_type(inner));
    }
    if let Some(inner) = t.strip_prefix("Vec<").and_then(|r| r.strip_suffix('>')) {
        return format!("seq<{}>", normalize_type(inner));
    }
    if t.starts_with("Result<") {
        return "Result".into();
    }
    if let Some(inner) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let (elem, n) = inner.split_once(';').expect("[T; N]");
        let n: usize = n.trim().parse().expect("array length");
        return format!("({})", vec![normalize_type(elem); n].join(","));
    }
    if let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        return format!("({})", split_top(inner, ',').iter().map(|p| normalize_type(p)).collect::<Vec<_>>().join(","));
    }
    match t {
        "String" => "str".into(),
        "Decimal" => "dec".into(),
        other => other.into(),
    }
}

/// Split at `sep` outside brackets.
pub fn split_top(s: &str, sep: char) -> Vec<String> {
    let (mut depth, mut cur, mut out) = (0i32, String::new(), Vec::new());
    for c in s.chars() {
        match c {
            '<' | '(' | '[' | '{' => depth += 1,
            '>' | ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
        if c == sep && depth == 0 {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out.into_iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

fn parse_fields(body: &str) -> Vec<(String, String)> {
    split_top(body, ',')
        .into_iter()
        .map(|f| {
            let (name, ty) = f.split_once(':').unwrap_or_else(|| panic!("schema: `{f}` is not `name: Type`"));
            (name.trim().to_string(), normalize_type(ty))
        })
        .collect()
}

/// Parse the ```schema block: `struct Name { field: Type, ... }` and
/// `enum Name { 0 Variant, 1 Variant(Type), 2 Variant { field: Type }, ... }`; `//` starts
/// a comment.
pub fn parse_schema(text: &str) -> BTreeMap<String, Def> {
    let flat: String = text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join(" ");
    let mut defs = BTreeMap::new();
    let mut rest = flat.trim();
    while !rest.is_empty() {
        let (kind, after) = rest.split_once(' ').expect("struct or enum");
        let open = after.find('{').expect("{");
        let name = after[..open].trim().to_string();
        // Find the matching brace.
        let (mut depth, mut close) = (0, None);
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(open + i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let close = close.unwrap_or_else(|| panic!("schema: unclosed {name}"));
        let body = &after[open + 1..close];
        let def = match kind {
            "struct" => Def::Struct(parse_fields(body)),
            "enum" => {
                let mut variants = BTreeMap::new();
                for v in split_top(body, ',') {
                    let (index, v) = v.split_once(char::is_whitespace).unwrap_or_else(|| panic!("schema: `{v}` needs an index"));
                    let index: u32 = index.parse().unwrap_or_else(|_| panic!("schema: bad index in {name}"));
                    let v = v.trim();
                    let cut = v.find(['(', '{']).unwrap_or(v.len());
                    let vname = v[..cut].trim().to_string();
                    let shape = match v[cut..].chars().next() {
                        None => VariantShape::Unit,
                        Some('(') => {
                            let inner = v[cut + 1..].strip_suffix(')').expect(")");
                            let types: Vec<String> = split_top(inner, ',').iter().map(|t| normalize_type(t)).collect();
                            if types.len() == 1 {
                                VariantShape::Newtype(types[0].clone())
                            } else {
                                VariantShape::Tuple(types)
                            }
                        }
                        Some(_) => VariantShape::Struct(parse_fields(v[cut + 1..].strip_suffix('}').expect("}"))),
                    };
                    assert!(variants.insert(index, (vname, shape)).is_none(), "schema: {name} repeats index {index}");
                }
                Def::Enum(variants)
            }
            other => panic!("schema: `{other}` is neither struct nor enum"),
        };
        assert!(defs.insert(name.clone(), def).is_none(), "schema: {name} defined twice");
        rest = after[close + 1..].trim();
    }
    defs
}

/// Render recorded definitions in the schema notation (to write the document from).
pub fn render_schema(defs: &BTreeMap<String, Def>) -> String {
    fn ty(t: &str) -> String {
        if let Some(i) = t.strip_prefix("option<").and_then(|r| r.strip_suffix('>')) {
            return format!("Option<{}>", ty(i));
        }
        if let Some(i) = t.strip_prefix("seq<").and_then(|r| r.strip_suffix('>')) {
            return format!("Vec<{}>", ty(i));
        }
        if let Some(i) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            let parts = split_top(i, ',');
            if parts.len() > 1 && parts.iter().all(|p| p == "u8") {
                return format!("[u8; {}]", parts.len());
            }
            return format!("({})", parts.iter().map(|p| ty(p)).collect::<Vec<_>>().join(", "));
        }
        match t {
            "str" => "String".into(),
            "dec" => "Decimal".into(),
            o => o.into(),
        }
    }
    let fields = |f: &Vec<(String, String)>| f.iter().map(|(n, t)| format!("{n}: {}", ty(t))).collect::<Vec<_>>().join(", ");
    let mut out = String::new();
    for (name, def) in defs {
        match def {
            Def::Struct(f) => out.push_str(&format!("struct {name} {{ {} }}\n", fields(f))),
            Def::Enum(vs) => {
                out.push_str(&format!("enum {name} {{\n"));
                for (i, (v, shape)) in vs {
                    let s = match shape {
                        VariantShape::Unit => String::new(),
                        VariantShape::Newtype(t) => format!("({})", ty(t)),
                        VariantShape::Tuple(ts) => format!("({})", ts.iter().map(|t| ty(t)).collect::<Vec<_>>().join(", ")),
                        VariantShape::Struct(f) => format!(" {{ {} }}", fields(f)),
                    };
                    out.push_str(&format!("    {i} {v}{s},\n"));
                }
                out.push_str("}\n");
            }
        }
    }
    out
}
