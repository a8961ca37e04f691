"""Read every kind of file kforge writes with pyarrow, pandas and Hugging Face `datasets`, and print
what each reader saw as JSON (values, not just that it opened), for test/datasets/interop.test.ts.

usage: interop_read.py <records.parquet> <filtered.parquet> <hf folder> <chat folder> <dpo folder>"""
import json
import sys

import datasets
import pandas as pd
import pyarrow.json as pj
import pyarrow.parquet as pq

datasets.disable_progress_bars()
records, filtered, hf, chat, dpo = sys.argv[1:6]


def parquet_view(path: str) -> dict:
    t = pq.read_table(path)
    df = pd.read_parquet(path)
    ds = datasets.load_dataset("parquet", data_files=path, split="train")
    by_id = {r["record_id"]: r for r in t.to_pylist()}
    return {
        "pyarrow": {
            "ids": sorted(by_id),
            "types": {f.name: str(f.type) for f in t.schema},
            "rows": {i: {k: by_id[i][k] for k in ("speedup", "seeds", "weak_problem", "problem_name", "kernel_source", "passes_policies")} for i in by_id},
        },
        "pandas": {
            "ids": sorted(df["record_id"].tolist()),
            "speedup": {r: (None if pd.isna(s) else float(s)) for r, s in zip(df["record_id"], df["speedup"])},
            "seeds": {r: [int(x) for x in s] for r, s in zip(df["record_id"], df["seeds"])},
        },
        "datasets": {
            "ids": sorted(ds["record_id"]),
            "features": {k: str(v) for k, v in ds.features.items() if k in ("seeds", "flags", "speedup", "level", "weak_problem")},
            "kernel_source": {r["record_id"]: r["kernel_source"] for r in ds},
        },
    }


out = {"records": parquet_view(records), "filtered": parquet_view(filtered)}

hf_ds = datasets.load_dataset(hf)
out["hf"] = {split: {"ids": sorted(hf_ds[split]["record_id"]), "speedup": dict(zip(hf_ds[split]["record_id"], hf_ds[split]["speedup"]))} for split in hf_ds}
out["hf_features"] = {k: str(v) for k, v in hf_ds["train"].features.items() if k in ("seeds", "flags", "level")}

chat_files = {"train": f"{chat}/train.jsonl", "validation": f"{chat}/validation.jsonl"}
chat_ds = datasets.load_dataset("json", data_files=chat_files)
out["chat"] = {
    "datasets": {s: [[m["role"] for m in ex["messages"]] for ex in chat_ds[s]] for s in chat_ds},
    "datasets_assistant": [ex["messages"][2]["content"] for ex in chat_ds["train"]],
    "pandas_rows": len(pd.read_json(chat_files["train"], lines=True)),
    "pyarrow_rows": pj.read_json(chat_files["train"]).num_rows,
}
dpo_ds = datasets.load_dataset("json", data_files={"train": f"{dpo}/train.jsonl"}, split="train")
out["dpo"] = {
    "pairs": [[ex["chosen_record_id"], ex["rejected_record_id"], ex["margin"], ex["rejected_correct"]] for ex in dpo_ds],
    "prompt_roles": [[m["role"] for m in ex["prompt"]] for ex in dpo_ds],
    "pandas_margin": [None if pd.isna(m) else float(m) for m in pd.read_json(f"{dpo}/train.jsonl", lines=True)["margin"]],
}
print(json.dumps(out))
