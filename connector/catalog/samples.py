"""Realistic Retell records that the catalog's samples are made from.

The values are invented (555-01xx numbers are fictional, hosts end in .invalid) but the
shapes are Retell's, taken from its call object (retell-sdk 6.2.13 types).
"""

ANALYZED_CALL = {
    "call_type": "phone_call",
    "from_number": "+14155550100",
    "to_number": "+14155550123",
    "direction": "outbound",
    "call_id": "call_8d1e5f2a9b3c4d7e6f0a1b2c3d4",
    "agent_id": "agent_3f9c2b7e1d4a5c6b8e0f1a2b3c",
    "agent_version": 3,
    "agent_name": "Appointment Reminder (demo)",
    "call_status": "ended",
    "metadata": {"crm_contact_id": "ct_000123", "source": "make.com"},
    "retell_llm_dynamic_variables": {
        "customer_name": "Jordan Sample",
        "appointment_date": "2026-02-14",
    },
    "custom_sip_headers": {"X-Campaign-Id": "spring-demo"},
    "data_storage_setting": "everything",
    "opt_in_signed_url": False,
    "start_timestamp": 1767283200000,
    "end_timestamp": 1767283247350,
    "duration_ms": 47350,
    "disconnection_reason": "user_hangup",
    "transcript": (
        "Agent: Hi Jordan Sample, this is Example Clinic.\n"
        "User: Hi, yes, I can confirm February fourteenth.\n"
        "Agent: Great, you're confirmed. Goodbye!\n"
    ),
    "transcript_object": [
        {
            "role": "agent",
            "content": "Hi Jordan Sample, this is Example Clinic.",
            "words": [{"word": "Hi", "start": 0.42, "end": 0.61}],
        },
        {
            "role": "user",
            "content": "Hi, yes, I can confirm February fourteenth.",
            "words": [{"word": "Hi,", "start": 3.1, "end": 3.3}],
        },
        {
            "role": "agent",
            "content": "Great, you're confirmed. Goodbye!",
            "words": [{"word": "Great,", "start": 6.02, "end": 6.4}],
        },
    ],
    "transcript_with_tool_calls": [
        {
            "role": "agent",
            "content": "Hi Jordan Sample, this is Example Clinic.",
            "words": [
                {"word": "Hi", "start": 0.42, "end": 0.61},
                {"word": "Jordan", "start": 0.63, "end": 0.98},
            ],
        }
    ],
    "recording_url": "https://rec.example.invalid/c/recording.wav",
    "recording_multi_channel_url": "https://rec.example.invalid/c/recording_mc.wav",
    "public_log_url": "https://rec.example.invalid/c/public_log.txt",
    "collected_dynamic_variables": {"previous_node": "Confirm appointment"},
    "telephony_identifier": {"twilio_call_sid": "CA00000000000000000000000000000000"},
    "latency": {
        "e2e": {
            "p50": 812.0,
            "p90": 1105.0,
            "p95": 1190.0,
            "p99": 1260.0,
            "max": 1275.0,
            "min": 640.0,
            "num": 3,
            "values": [640.0, 812.0, 1275.0],
        }
    },
    "call_cost": {
        "combined_cost": 6.31,
        "total_duration_seconds": 48,
        "total_duration_unit_price": 0.1315,
        "product_costs": [
            {"product": "retell_platform", "unit_price": 0.1167, "cost": 5.6},
            {"product": "telephony", "unit_price": 0.0148, "cost": 0.71},
        ],
    },
    "call_analysis": {
        "call_summary": (
            "The agent reminded Jordan Sample of the appointment on 2026-02-14"
            " and the user confirmed it."
        ),
        "user_sentiment": "Positive",
        "call_successful": True,
        "in_voicemail": False,
        "custom_analysis_data": {
            "appointment_confirmed": True,
            "reschedule_requested": False,
        },
    },
}

#: A call that was dialled but never connected: the line was busy.
BUSY_CALL = {
    "call_type": "phone_call",
    "call_id": "call_5b2e7d9f1a3c4e6b8d0f2a4c6e8",
    "agent_id": "agent_3f9c2b7e1d4a5c6b8e0f1a2b3c",
    "agent_version": 3,
    "agent_name": "Appointment Reminder (demo)",
    "call_status": "not_connected",
    "direction": "outbound",
    "from_number": "+14155550100",
    "to_number": "+14155550170",
    "start_timestamp": 1767283500000,
    "end_timestamp": 1767283512000,
    "duration_ms": 0,
    "disconnection_reason": "dial_busy",
    "metadata": {"crm_contact_id": "ct_000124", "source": "make.com"},
}

PHONE_NUMBER = {
    "phone_number": "+14155550100",
    "phone_number_pretty": "(415) 555-0100",
    "phone_number_type": "retell-twilio",
    "nickname": "Main line",
    "area_code": 415,
    "inbound_agents": [
        {
            "agent_id": "agent_3f9c2b7e1d4a5c6b8e0f1a2b3c",
            "agent_version": 3,
            "weight": 1,
        }
    ],
    "outbound_agents": [
        {
            "agent_id": "agent_3f9c2b7e1d4a5c6b8e0f1a2b3c",
            "agent_version": 3,
            "weight": 1,
        }
    ],
    "last_modification_timestamp": 1767283000000,
}

#: What create-phone-call answers: the call is registered and about to dial.
REGISTERED_CALL = {
    key: ANALYZED_CALL[key]
    for key in (
        "call_type",
        "from_number",
        "to_number",
        "direction",
        "call_id",
        "agent_id",
        "agent_version",
        "agent_name",
        "metadata",
        "retell_llm_dynamic_variables",
        "custom_sip_headers",
        "data_storage_setting",
        "opt_in_signed_url",
    )
} | {"call_status": "registered"}
