//! Golden vectors: bytes made by Python's `json` and `msgpack` (see testdata/make_vectors.py).

use serde_json::Value;
use session_core::{DjangoJson, Error, Json, MessagePack, Serializer, SessionData};

struct Vector {
    name: String,
    json: String,
    django_json: String,
    msgpack: Vec<u8>,
}

fn vectors() -> Vec<Vector> {
    let raw = include_str!("../../testdata/serializers.json");
    let list: Vec<Value> = serde_json::from_str(raw).unwrap();
    list.into_iter()
        .map(|v| Vector {
            name: v["name"].as_str().unwrap().to_owned(),
            json: v["json"].as_str().unwrap().to_owned(),
            django_json: v["django_json"].as_str().unwrap().to_owned(),
            msgpack: hex(v["msgpack_hex"].as_str().unwrap()),
        })
        .collect()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn data_of(v: &Vector) -> SessionData {
    serde_json::from_str(&v.json).unwrap()
}

#[test]
fn json_matches_python_byte_for_byte() {
    for v in vectors() {
        let data = data_of(&v);
        assert_eq!(
            String::from_utf8(Json.to_bytes(&data).unwrap()).unwrap(),
            v.json,
            "{}",
            v.name
        );
        assert_eq!(
            Json.from_bytes(v.json.as_bytes()).unwrap(),
            data,
            "{}",
            v.name
        );
    }
}

#[test]
fn django_json_matches_python_ensure_ascii() {
    for v in vectors() {
        let data = data_of(&v);
        let ours = DjangoJson.to_bytes(&data).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            v.django_json,
            "{}",
            v.name
        );
        assert!(v.django_json.is_ascii());
        assert_eq!(
            DjangoJson.from_bytes(v.django_json.as_bytes()).unwrap(),
            data,
            "{}",
            v.name
        );
    }
}

#[test]
fn messagepack_matches_python_msgpack() {
    for v in vectors() {
        let data = data_of(&v);
        assert_eq!(
            MessagePack.to_bytes(&data).unwrap(),
            v.msgpack,
            "{}",
            v.name
        );
        assert_eq!(
            MessagePack.from_bytes(&v.msgpack).unwrap(),
            data,
            "{}",
            v.name
        );
    }
}

#[test]
fn key_order_is_insertion_order() {
    let v = vectors().into_iter().find(|v| v.name == "nested").unwrap();
    let data = data_of(&v);
    assert_eq!(data.keys().collect::<Vec<_>>(), ["nested", "z", "a"]);
    let back = MessagePack
        .from_bytes(&MessagePack.to_bytes(&data).unwrap())
        .unwrap();
    assert_eq!(back.keys().collect::<Vec<_>>(), ["nested", "z", "a"]);
}

#[test]
fn big_integers_are_accepted() {
    // Python writes integers of any size; Django's decoder must not choke on them.
    let data = Json
        .from_bytes(b"{\"big\":18446744073709551616,\"neg\":-18446744073709551617}")
        .unwrap();
    assert!(data["big"].as_f64().unwrap() > 1.8e19);
    assert!(data["neg"].as_f64().unwrap() < -1.8e19);
}

#[test]
fn python_float_spellings_are_read() {
    let data = Json
        .from_bytes(b"{\"f\":[1e+16,1e-05,1.5e+300,-0.0]}")
        .unwrap();
    let f: Vec<f64> = serde_json::from_value(data["f"].clone()).unwrap();
    assert_eq!(f, [1e16, 1e-5, 1.5e300, -0.0]);
}

#[test]
fn garbage_is_a_deserialize_error_never_a_panic() {
    let inputs: [&[u8]; 9] = [
        b"",
        b"{",
        b"[]",
        b"null",
        b"\"string\"",
        b"{\"a\":}",
        &[0xff, 0xfe, 0x00],
        &[0xc1],
        &[0xdf, 0xff, 0xff, 0xff, 0xff],
    ];
    for input in inputs {
        assert!(
            matches!(Json.from_bytes(input), Err(Error::Deserialize(_))),
            "{input:?}"
        );
        assert!(
            matches!(DjangoJson.from_bytes(input), Err(Error::Deserialize(_))),
            "{input:?}"
        );
        assert!(
            matches!(MessagePack.from_bytes(input), Err(Error::Deserialize(_))),
            "{input:?}"
        );
    }
    let megabyte = vec![b'['; 1 << 20];
    assert!(Json.from_bytes(&megabyte).is_err());
    assert!(MessagePack.from_bytes(&vec![0x91; 1 << 20]).is_err());
}

#[test]
fn deserialize_error_keeps_its_source() {
    let err = Json.from_bytes(b"{").unwrap_err();
    let source = std::error::Error::source(&err).expect("a source");
    assert!(source.downcast_ref::<serde_json::Error>().is_some());
}

fn nested(containers: usize) -> SessionData {
    // The session map is level 1; `containers` arrays nest inside it.
    let mut v = Value::Null;
    for _ in 0..containers {
        v = Value::Array(vec![v]);
    }
    let mut data = SessionData::new();
    data.insert("deep".into(), v);
    data
}

#[test]
fn json_writers_refuse_data_too_deep_to_read_back() {
    let limit = session_core::MAX_JSON_DEPTH;
    let ok = nested(limit - 1);
    let too_deep = nested(limit);
    for serializer in [&Json as &dyn Serializer, &DjangoJson] {
        let bytes = serializer.to_bytes(&ok).unwrap();
        assert_eq!(serializer.from_bytes(&bytes).unwrap(), ok);
        assert!(matches!(
            serializer.to_bytes(&too_deep),
            Err(Error::Serialize(_))
        ));
    }
    // Far beyond the limit: the check itself does not recurse.
    assert!(Json.to_bytes(&nested(2_000)).is_err());
}
