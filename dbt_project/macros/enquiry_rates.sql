{% macro is_rated(pupils) -%}
    {#- Whether a school's enquiries are taken as a rate per pupil on SEN support: its
        return counts at least low_numbers_below of them (fewer, and a rate says more
        about chance than the school; such a school is left out of the LA's rate too). -#}
    coalesce({{ pupils }} >= {{ var('low_numbers_below') }}, false)
{%- endmacro %}
