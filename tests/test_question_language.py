from assistant.planner.language import question_language


def test_chinese_questions_with_latin_product_names_are_chinese():
    assert question_language("Aurora Pulse 的续航怎么样?") == "zh"
    assert question_language("Stridex Tempo 3 最近的差评都在说什么?") == "zh"
    assert question_language("P0089 这款水壶口碑怎么样") == "zh"
    assert question_language("耳机的电池有什么问题?") == "zh"


def test_english_questions_stay_english_even_with_a_chinese_word():
    assert question_language("What do people say about the battery of the Aurora Pulse?") == "en"
    assert question_language("How are sales of 耳机 in the Headphones category this year?") == "en"
    assert question_language("") == "en"
    assert question_language(None) == "en"
    assert question_language("12345 ???") == "en"
