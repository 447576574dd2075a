{% macro evidence_sentence(withheld=none) -%}
    {#- A check's evidence sentence, as the LA reads it or, with ``withheld`` (see
        render_evidence), as it is published outside the LA. Reads the columns of
        fct_duty_checks' published CTE. -#}
    case
        when status = 'no_return' then 'No valid return was received for this term.'
        when status = 'not_applicable' and not_applicable_text is not null
            then
                'Nothing to judge: ' || lower(not_applicable_text[1])
                || not_applicable_text[2:]
        when status = 'low_numbers'
            then
                'Fewer than {{ var("low_numbers_below") }} pupils are counted, so no rate is '
                || 'shown: '
                {%- if withheld is none %}
                || cast(numerator as bigint) || ' of ' || cast(denominator as bigint) || '.'
                {%- else %}
                || published_numerator || ' of ' || published_denominator || '.'
                {%- endif %}
        else {{ render_evidence('evidence_template', 'numerator',
            'denominator', 'value', 'detail', withheld) }}
    end
{%- endmacro %}
